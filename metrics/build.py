"""Build the marts inside the warehouse. PLACEHOLDER until the measure engine lands (owned by metrics work)."""


def build_marts(con) -> None:
    """Compute measure_values, perspective_scores, overall_scores, indicator_values in `con`.

    Must tolerate empty or missing source tables (build what is possible)."""

"""Reference data for the demo generator: committees with their real names and a behaviour profile,
system products, e-services and errand types, licence products.

The profile numbers steer the generated facts so the scorecard shows real differences
(targets and red thresholds from docs/measures: see shared measures.md). Nothing here is random.
"""
from __future__ import annotations

# code, name_sv, name_en, kind, short name (used in locations, system names, ledger texts), headcount
COMMITTEES = [
    # district councils (stadsdelsnämnder)
    ("BROMMA", "Bromma stadsdelsnämnd", "Bromma District Council", "district_council", "Bromma", 1750),
    ("ENSKEDE", "Enskede-Årsta-Vantörs stadsdelsnämnd", "Enskede-Årsta-Vantör District Council", "district_council", "Enskede-Årsta-Vantör", 2350),
    ("FARSTA", "Farsta stadsdelsnämnd", "Farsta District Council", "district_council", "Farsta", 1450),
    ("HAGERSTEN", "Hägersten-Liljeholmens stadsdelsnämnd", "Hägersten-Liljeholmen District Council", "district_council", "Hägersten-Liljeholmen", 1800),
    ("HASSELBY", "Hässelby-Vällingby stadsdelsnämnd", "Hässelby-Vällingby District Council", "district_council", "Hässelby-Vällingby", 1650),
    ("KUNGSHOLMEN", "Kungsholmens stadsdelsnämnd", "Kungsholmen District Council", "district_council", "Kungsholmen", 1150),
    ("NORRMALM", "Norrmalms stadsdelsnämnd", "Norrmalm District Council", "district_council", "Norrmalm", 1200),
    ("RINKEBY", "Rinkeby-Kista stadsdelsnämnd", "Rinkeby-Kista District Council", "district_council", "Rinkeby-Kista", 1700),
    ("SKARPNACK", "Skarpnäcks stadsdelsnämnd", "Skarpnäck District Council", "district_council", "Skarpnäck", 1100),
    ("SKARHOLMEN", "Skärholmens stadsdelsnämnd", "Skärholmen District Council", "district_council", "Skärholmen", 1050),
    ("SPANGA", "Spånga-Tensta stadsdelsnämnd", "Spånga-Tensta District Council", "district_council", "Spånga-Tensta", 1150),
    ("SODERMALM", "Södermalms stadsdelsnämnd", "Södermalm District Council", "district_council", "Södermalm", 2050),
    ("ALVSJO", "Älvsjö stadsdelsnämnd", "Älvsjö District Council", "district_council", "Älvsjö", 800),
    ("OSTERMALM", "Östermalms stadsdelsnämnd", "Östermalm District Council", "district_council", "Östermalm", 1250),
    # specialist committees (facknämnder)
    ("KS", "Kommunstyrelsen", "City Executive Board", "specialist_committee", "Stadsledningskontoret", 1100),
    ("UTBN", "Utbildningsnämnden", "Education Committee", "specialist_committee", "Utbildningsförvaltningen", 8200),
    ("SOCN", "Socialtjänstnämnden", "Social Services Committee", "specialist_committee", "Socialförvaltningen", 1300),
    ("ALDN", "Äldrenämnden", "Elderly Care Committee", "specialist_committee", "Äldreförvaltningen", 450),
    ("TRN", "Trafik- och renhållningsnämnden", "Traffic and Waste Management Committee", "specialist_committee", "Trafikkontoret", 650),
    ("SBN", "Stadsbyggnadsnämnden", "City Planning Committee", "specialist_committee", "Stadsbyggnadskontoret", 520),
    ("EXPN", "Exploateringsnämnden", "Development Committee", "specialist_committee", "Exploateringskontoret", 260),
    ("FASTN", "Fastighetsnämnden", "Real Estate Committee", "specialist_committee", "Fastighetskontoret", 240),
    ("MHN", "Miljö- och hälsoskyddsnämnden", "Environment and Health Committee", "specialist_committee", "Miljöförvaltningen", 230),
    ("KULTN", "Kulturnämnden", "Cultural Affairs Committee", "specialist_committee", "Kulturförvaltningen", 900),
    ("IDRN", "Idrottsnämnden", "Sports Committee", "specialist_committee", "Idrottsförvaltningen", 700),
    ("SERVN", "Servicenämnden", "Service Committee", "specialist_committee", "Serviceförvaltningen", 640),
    ("BRAND", "Brand- och räddningsnämnden", "Fire and Rescue Committee", "specialist_committee", "Brandförsvaret", 620),
    ("KYRKN", "Kyrkogårdsnämnden", "Cemeteries Committee", "specialist_committee", "Kyrkogårdsförvaltningen", 190),
    ("OFN", "Överförmyndarnämnden", "Chief Guardian Committee", "specialist_committee", "Överförmyndarförvaltningen", 95),
    # companies (Stockholms Stadshus AB and subsidiaries)
    ("STADSHUS", "Stockholms Stadshus AB", "Stockholms Stadshus AB (group parent)", "company", "Stadshus AB", 28),
    ("SVOA", "Stockholm Vatten och Avfall AB", "Stockholm Water and Waste Ltd", "company", "Stockholm Vatten och Avfall", 1150),
    ("STHLMHEM", "Stockholmshem AB", "Stockholmshem Ltd (municipal housing)", "company", "Stockholmshem", 430),
    ("FAMBO", "Familjebostäder AB", "Familjebostäder Ltd (municipal housing)", "company", "Familjebostäder", 300),
    ("SVBO", "Svenska Bostäder AB", "Svenska Bostäder Ltd (municipal housing)", "company", "Svenska Bostäder", 420),
    ("HAMN", "Stockholms Hamn AB", "Ports of Stockholm Ltd", "company", "Stockholms Hamnar", 260),
    ("SBR", "Stockholm Business Region AB", "Stockholm Business Region Ltd", "company", "Stockholm Business Region", 60),
]

PEER_GROUP = {"district_council": "district_councils", "specialist_committee": "specialist_committees",
              "company": "companies"}

# Behaviour profile per committee. Keys (defaults in DEFAULT_PROFILE):
#   avail        unplanned downtime multiplier for its systems (1 = typical ~99.6 % for critical systems)
#   avail_trend  yearly change of that multiplier (negative = improving)
#   sla          slowness of incident resolution (1 = ~92 % within SLA); sla_trend per year
#   inc_rate     incidents per IT user and year
#   digital      digital-share offset (logit units) for its e-services
#   stp          straight-through offset (logit units)
#   adoption     share of intended users active in 30 days on key systems
#   licence_util licence utilisation (used 90 d / paid)
#   it_share     IT cost ÷ operating cost (%), per year start and yearly drift
#   cost_user    IT cost per IT user and year (SEK)
#   renewal      grow+transform share of IT cost at the start (2020) and yearly change
#   staff_sat    share 4–5 on "IT helps me work efficiently"; staff_trend per year
#   competence   mean self-assessed competence level (1–5 scale); comp_trend per year
#   support_sat  share 4–5 in the post-ticket survey
#   eservice_sat share 4–5 in the e-service exit survey
DEFAULT_PROFILE = dict(avail=1.0, avail_trend=-0.04, sla=1.0, sla_trend=-0.02, inc_rate=0.85, digital=0.0,
                       stp=0.0, adoption=0.91, licence_util=0.93, it_share=4.0, it_share_drift=0.0,
                       cost_user=34500.0, renewal=0.24, renewal_trend=0.012, staff_sat=0.72,
                       staff_trend=0.01, competence=3.12, comp_trend=0.04, support_sat=0.78,
                       eservice_sat=0.77)

PROFILES = {
    # a district council with poor availability and slow incident handling, getting worse
    "SKARHOLMEN": dict(avail=2.0, avail_trend=0.14, sla=1.5, sla_trend=0.08, inc_rate=1.15, support_sat=0.66,
                       staff_sat=0.56, staff_trend=-0.01, digital=-0.5, it_share=3.3),
    # low digital take-up, improving fast
    "RINKEBY": dict(digital=-1.1, stp=-0.4, competence=2.8, comp_trend=0.08, eservice_sat=0.68, sla=1.3),
    "SPANGA": dict(digital=-0.8, avail=1.8, sla=1.4, staff_sat=0.66),
    "SODERMALM": dict(digital=0.5, adoption=0.94, avail=0.7, cost_user=32000.0, it_share=3.6),
    "BROMMA": dict(digital=0.4, sla=0.8, support_sat=0.84, competence=3.3),
    "OSTERMALM": dict(digital=0.6, cost_user=33000.0, eservice_sat=0.83),
    "KUNGSHOLMEN": dict(avail=0.8, staff_sat=0.78, competence=3.35),
    "ALVSJO": dict(it_share=2.7, cost_user=31000.0, renewal=0.18, renewal_trend=0.005),
    "FARSTA": dict(avail=1.4, avail_trend=-0.15, sla=1.5, sla_trend=-0.12),  # visibly improving
    "ENSKEDE": dict(licence_util=0.86, adoption=0.88),
    "HAGERSTEN": dict(staff_sat=0.75),
    "HASSELBY": dict(sla=1.2, digital=-0.2),
    "NORRMALM": dict(digital=0.3, renewal=0.28),
    "SKARPNACK": dict(competence=2.9, eservice_sat=0.72),
    # central IT runs in the executive office: costly per user, high renewal
    "KS": dict(cost_user=61000.0, it_share=5.6, renewal=0.34, renewal_trend=0.01, competence=3.45,
               staff_sat=0.79, avail=0.6, digital=0.4),
    "UTBN": dict(cost_user=33000.0, it_share=2.6, it_share_drift=0.1, digital=0.8, stp=0.5, staff_sat=0.63,
                 staff_trend=0.015, adoption=0.93),
    "SOCN": dict(sla=1.1, sla_trend=0.15, digital=-0.3, competence=2.95),  # getting worse
    "ALDN": dict(adoption=0.71, competence=2.7, comp_trend=0.06, staff_sat=0.6, digital=-0.6),
    "TRN": dict(digital=0.9, stp=0.6, cost_user=47000.0),
    "SBN": dict(digital=1.1, stp=0.3, it_share=6.4, cost_user=52000.0, renewal=0.33, competence=3.4),
    "EXPN": dict(it_share=4.6, cost_user=45000.0),
    "FASTN": dict(licence_util=0.78, it_share=3.8),
    "MHN": dict(digital=0.5, stp=0.2, competence=3.3),
    "KULTN": dict(it_share=3.1, digital=0.2, eservice_sat=0.84),
    "IDRN": dict(digital=0.7, licence_util=0.88),
    "SERVN": dict(it_share=5.2, cost_user=44000.0, support_sat=0.86, sla=0.8),
    "BRAND": dict(avail=0.5, avail_trend=-0.02, cost_user=46000.0, it_share=4.8),
    "KYRKN": dict(digital=-0.2, adoption=0.8, competence=2.8),
    "OFN": dict(digital=-0.7, stp=-0.6, it_share=5.9, cost_user=50000.0),
    # companies
    "STADSHUS": dict(it_share=1.2, cost_user=42000.0, inc_rate=0.6),
    "SVOA": dict(avail=0.55, it_share=3.7, cost_user=49000.0, renewal=0.3, digital=0.6),
    "STHLMHEM": dict(licence_util=0.71, it_share=2.3, digital=0.3),   # low licence utilisation
    "FAMBO": dict(it_share=2.8, licence_util=0.84),
    "SVBO": dict(it_share=3.0, digital=0.5, renewal=0.15, renewal_trend=0.0),  # stuck in run mode
    "HAMN": dict(it_share=4.2, avail=2.0, cost_user=53000.0),
    "SBR": dict(it_share=9.5, it_share_drift=0.4, cost_user=64000.0, renewal=0.4),  # far outside the band
}


def profile(code: str) -> dict:
    p = dict(DEFAULT_PROFILE)
    p.update(PROFILES.get(code, {}))
    return p


# System products by kind of owner: (name, typical share of staff using it, tier weight hint)
CITYWIDE_SYSTEMS = [  # owned by KS (central IT), used by all
    "Microsoft 365 (stadens plattform)", "Agresso ekonomisystem", "Heroma personal- och lönesystem",
    "Intranätet Insidan", "Stockholm.se webbplattform", "E-tjänsteplattformen", "Public 360 diarium",
    "Identitets- och behörighetssystemet", "Stadens kontaktcenter (telefoni)", "Inköpssystemet Proceedo",
]
DISTRICT_SYSTEMS = ["Paraplyet (individ- och familjeomsorg)", "Procapita försörjningsstöd", "Lifecare hemtjänst",
                    "TES schemaplanering", "Förskoleportalen", "Parkeringsövervakning mobil", "Alfa e-arkiv",
                    "Stratsys ILS-webb", "Boka lokal", "Besöksregistrering", "Medborgarkontorets kösystem",
                    "Time Care Planering", "Phoniro nyckelfri hemtjänst", "Treserva dokumentation"]
SPECIALIST_SYSTEMS = {
    "UTBN": ["Skolplattformen", "Skolfederation inloggning", "Elevregistret", "Antagningssystemet gymnasiet",
             "Schemaläggning Skola24", "Lärplattform Vklass", "Elevhälsans journalsystem PMO",
             "Skolskjuts Planeringssystem", "Frånvarohantering", "Chromebook-förvaltning"],
    "SOCN": ["Paraplyet central", "Socialjouren ärendesystem", "Bostad först register", "Familjerätt Combine"],
    "ALDN": ["Äldreguiden", "Kvalitetsregister äldreomsorg", "Lifecare SP"],
    "TRN": ["Trafikdatabasen", "Parkeringsautomater backend", "Gatuarbetsportalen", "Felanmälan Stockholm",
            "Vinterväghållning GPS", "Trängselskattestatistik"],
    "SBN": ["ByggR bygglovshantering", "Stadsbyggnadskartan", "3D-stadsmodell", "Detaljplanearkivet",
            "Lantmäteri fastighetsregister", "ArcGIS Enterprise"],
    "EXPN": ["Markanvändningsregistret", "Exploateringskalkyl", "Tomträttsavgäldsystemet"],
    "FASTN": ["Fastighetssystemet Vitec", "Energiuppföljning", "Torghandel bokning"],
    "MHN": ["ECOS miljöärenden", "Livsmedelskontroll Mobil", "Luftkvalitetsmätning SLB"],
    "KULTN": ["Bibliotekssystemet Quria", "Stadsarkivets e-arkiv", "Kulturskolan anmälan", "Stadsmuseets samlingar"],
    "IDRN": ["Bokningssystemet Interbook Go", "Föreningsbidrag", "Badanläggningarnas kassasystem"],
    "SERVN": ["Kontaktcenter CRM", "E-handel leverantörsreskontra", "Skanningscentralen", "Lönecentrum ärendesystem"],
    "BRAND": ["Ledningsstödsystem (räddningscentral)", "Insatsrapportering", "Tillsynsregister LSO", "Rakel-integration"],
    "KYRKN": ["Gravregistret", "Begravningsbokning", "Gravskötsel avtal"],
    "OFN": ["Ställföreträdarregistret Wärna", "Årsräkningar e-tjänst", "Överförmyndarens akter"],
    "KS": ["Stadens dataplattform", "Öppna data-portalen", "Integrationsplattformen", "Säkerhetsövervakning SOC",
           "Kommunfullmäktiges mötessystem", "Krisledningssystemet WIS"],
}
COMPANY_SYSTEMS = {
    "STADSHUS": ["Koncernrapportering", "Styrelseportalen"],
    "SVOA": ["SCADA vattenverk", "Avfallsplanering Ecos", "Kundtjänstsystem", "VA-GIS", "Mätvärdesinsamling",
             "Underhållssystemet Maximo"],
    "STHLMHEM": ["Hyressystemet Vitec", "Felanmälan hyresgäst", "Bostadsportal", "Nyckelhantering"],
    "FAMBO": ["Hyressystemet Incit", "Mina sidor hyresgäst", "Besiktningsappen"],
    "SVBO": ["Hyressystemet Vitec", "Felanmälan hyresgäst", "Energistyrning"],
    "HAMN": ["Hamnsystemet PortWin", "Passagerarbokning", "Kajplatsplanering", "Fartygsanlöp"],
    "SBR": ["CRM för investerare", "Evenemangskalender", "Visit Stockholm webb"],
}
GENERIC_SYSTEMS = ["Dokumenthanteringssystem", "Ärendehanteringssystem", "Fakturaattest", "Kvalitetsledningssystem",
                   "Avvikelsehantering", "Planeringsverktyg", "Rapportportal", "Mobil arbetsorder",
                   "Lokalbokning", "Statistikdatabas", "Nyckelsystem", "Inpasseringssystem"]

# E-services: (name, owner committee, errand type, base monthly volume at 2020 level)
ESERVICES = [
    ("Ansökan om förskoleplats", "UTBN", "förskoleplats", 5200),
    ("Ansökan om plats i fritidshem", "UTBN", "fritidshemsplats", 2100),
    ("Skolval grundskola", "UTBN", "skolval", 3600),
    ("Ansökan gymnasieskola – Stockholms stad", "UTBN", "gymnasieansökan", 1900),
    ("Ansökan om skolskjuts", "UTBN", "skolskjuts", 650),
    ("Anmälan frånvaro", "UTBN", "frånvaroanmälan", 24000),
    ("Ansökan om bygglov", "SBN", "bygglov", 900),
    ("Anmälan om attefall/friggebod", "SBN", "bygganmälan", 420),
    ("Beställ nybyggnadskarta", "SBN", "nybyggnadskarta", 160),
    ("Ansökan om parkeringstillstånd för rörelsehindrade", "TRN", "parkeringstillstånd", 700),
    ("Boendeparkering", "TRN", "boendeparkering", 3800),
    ("Ansökan om grävtillstånd", "TRN", "grävtillstånd", 540),
    ("Felanmälan gata och park", "TRN", "felanmälan", 6200),
    ("Ansökan om färdtjänst", "TRN", "färdtjänst", 1100),
    ("Ansökan om ekonomiskt bistånd", "SOCN", "ekonomiskt bistånd", 2600),
    ("Anmälan om oro för barn", "SOCN", "orosanmälan", 850),
    ("Ansökan om serveringstillstånd", "SOCN", "serveringstillstånd", 120),
    ("Ansökan om äldreboende", "ALDN", "särskilt boende", 380),
    ("Ansökan om hemtjänst", "ALDN", "hemtjänst", 900),
    ("Registrering av livsmedelsanläggning", "MHN", "livsmedelsregistrering", 260),
    ("Ansökan om värmepump", "MHN", "värmepumpstillstånd", 330),
    ("Klagomål på inomhusmiljö", "MHN", "miljöklagomål", 210),
    ("Lånekort och reservationer", "KULTN", "bibliotekstjänster", 18000),
    ("Anmälan till Kulturskolan", "KULTN", "kulturskoleanmälan", 1500),
    ("Ansökan om kulturstöd", "KULTN", "kulturstöd", 90),
    ("Boka idrottshall", "IDRN", "lokalbokning", 4200),
    ("Ansökan om föreningsbidrag", "IDRN", "föreningsbidrag", 160),
    ("Kontakta staden (kontaktcenter)", "SERVN", "allmän fråga", 9500),
    ("Ansökan om tillstånd för brandfarlig vara", "BRAND", "tillstånd brandfarlig vara", 95),
    ("Anmälan om sotning och brandskyddskontroll", "BRAND", "brandskyddskontroll", 400),
    ("Gravplatsansökan och gravrättsärenden", "KYRKN", "gravrättsärende", 260),
    ("Årsräkning för ställföreträdare", "OFN", "årsräkning", 700),
    ("Ansökan om god man", "OFN", "godmanskap", 140),
    ("Anmälan om upplåtelse av offentlig plats", "TRN", "markupplåtelse", 300),
    ("Medborgarförslag och synpunkter", "KS", "synpunkter och klagomål", 1100),
    ("Begäran om allmän handling", "KS", "allmän handling", 750),
    ("Ansökan om ledsagarservice", "BROMMA", "ledsagarservice", 45),
    ("Ekonomiskt bistånd – Bromma", "BROMMA", "ekonomiskt bistånd", 260),
    ("Ekonomiskt bistånd – Rinkeby-Kista", "RINKEBY", "ekonomiskt bistånd", 900),
    ("Ekonomiskt bistånd – Skärholmen", "SKARHOLMEN", "ekonomiskt bistånd", 640),
    ("Ekonomiskt bistånd – Spånga-Tensta", "SPANGA", "ekonomiskt bistånd", 620),
    ("Ansökan om hemtjänst – Södermalm", "SODERMALM", "hemtjänst", 210),
    ("Ansökan om hemtjänst – Enskede-Årsta-Vantör", "ENSKEDE", "hemtjänst", 190),
    ("Ansökan om kontaktperson", "HAGERSTEN", "kontaktperson", 70),
    ("Ansökan om bostadsanpassningsbidrag", "HASSELBY", "bostadsanpassning", 180),
    ("Parklek och öppen förskola – anmälan", "FARSTA", "öppen förskola", 150),
    ("Ansökan om feriejobb", "NORRMALM", "feriejobb", 1200),
    ("Synpunkter på parker – Östermalm", "OSTERMALM", "synpunkter och klagomål", 130),
    ("Bokning av medborgarkontor", "KUNGSHOLMEN", "medborgarkontor", 320),
    ("Ansökan om familjerådgivning", "SKARPNACK", "familjerådgivning", 60),
    ("Anmälan om boendestöd", "ALVSJO", "boendestöd", 55),
    ("Sök lägenhet – Stockholmshem", "STHLMHEM", "bostadsansökan", 5200),
    ("Felanmälan hyresgäst – Stockholmshem", "STHLMHEM", "felanmälan", 3100),
    ("Felanmälan hyresgäst – Familjebostäder", "FAMBO", "felanmälan", 2600),
    ("Sök lägenhet – Svenska Bostäder", "SVBO", "bostadsansökan", 4600),
    ("Beställ tömning av slamavskiljare", "SVOA", "slamtömning", 220),
    ("Flytta/avsluta avfallsabonnemang", "SVOA", "avfallsabonnemang", 1300),
    ("Boka båtplats och gästhamn", "HAMN", "båtplats", 340),
    ("Etableringsservice för företag", "SBR", "företagsetablering", 90),
    ("Ansökan om tillfälligt serveringstillstånd", "SOCN", "serveringstillstånd", 60),
]

LICENCE_PRODUCTS = [
    # product, share of IT users, which committees (None = all)
    ("Microsoft 365 E3", 0.80, None),
    ("Microsoft 365 F3", 0.22, None),
    ("Adobe Acrobat Pro", 0.09, None),
    ("Microsoft Visio", 0.025, None),
    ("Microsoft Project", 0.015, None),
    ("Zoom Workplace", 0.04, None),
    ("ArcGIS Pro", 0.12, {"SBN", "EXPN", "TRN", "FASTN", "SVOA", "MHN", "HAMN"}),
    ("Procapita", 0.35, {"BROMMA", "ENSKEDE", "FARSTA", "HAGERSTEN", "HASSELBY", "KUNGSHOLMEN", "NORRMALM",
                         "RINKEBY", "SKARPNACK", "SKARHOLMEN", "SPANGA", "SODERMALM", "ALVSJO", "OSTERMALM",
                         "SOCN", "ALDN"}),
    ("AutoCAD", 0.06, {"SBN", "EXPN", "FASTN", "SVOA", "STHLMHEM", "FAMBO", "SVBO", "HAMN", "TRN"}),
    ("Adobe Creative Cloud", 0.02, {"KS", "KULTN", "SBR", "UTBN", "STHLMHEM", "HAMN"}),
]

# Ledger categories: account, supplier_type, cost_class, share of the committee's IT cost, texts
LEDGER_CATEGORIES = [
    ("5460", "external", "run", 0.10, ["Datorer och skärmar", "Mobiltelefoner", "Kringutrustning – skrivare"]),
    ("6540", "external", "run", 0.30, ["Drifttjänster enligt ramavtal", "Molntjänster (SaaS)", "Förvaltning av verksamhetssystem"]),
    ("6570", "external", "run", 0.12, ["Licenser och programvaror", "Supportavtal programvara", "Årsavgift systemlicens"]),
    ("6230", "external", "run", 0.05, ["Datakommunikation", "Nätverkstjänster", "Bredband förskolor och äldreboenden"]),
    ("6541", "internal", "run", 0.15, ["Centrala it-tjänster – fördelning enligt nyckel", "Serviceförvaltningen: e-tjänsteplattform", "Internfakturering stadsgemensam it"]),
    ("6550", "external", "grow", 0.18, ["Konsulttjänster systemutveckling", "Vidareutveckling e-tjänst", "Integrationsutveckling"]),
    ("6550", "external", "transform", 0.10, ["Förstudie digital förnyelse", "Pilot – ny tjänst för invånare", "Innovationsprojekt, extern konsult"]),
]

"""Real Danish reference data for the generator: regions, the 98 municipalities, post codes, names.

Municipality codes, names and regions are the real ones (since the 2007 reform). Populations are
rounded (thousands, early 2020s) and only weigh how many health units a municipality gets. Every
post code/town pair is real and belongs to the municipality it is listed under. Hospital names
and addresses are real; everything the generator builds from them is fictitious.
"""

from __future__ import annotations

from dataclasses import dataclass

REGIONS: dict[str, str] = {
    "1081": "Region Nordjylland",
    "1082": "Region Midtjylland",
    "1083": "Region Syddanmark",
    "1084": "Region Hovedstaden",
    "1085": "Region Sjælland",
}


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str  # kommunekode, 3 digits
    name: str  # e.g. "Lyngby-Taarbæk"
    region: str  # 1081..1085
    population_k: int  # inhabitants in thousands (approximate)

    @property
    def full_name(self) -> str:
        return "Københavns Kommune" if self.code == "101" else f"{self.name} Kommune"


@dataclass(frozen=True, slots=True)
class PostTown:
    postcode: str
    town: str
    municipality: str  # kommunekode


def _municipalities(region: str, rows: str) -> list[Municipality]:
    out = []
    for row in rows.strip().splitlines():
        code, name, population = (part.strip() for part in row.split("|"))
        out.append(Municipality(code, name, region, int(population)))
    return out


MUNICIPALITIES: tuple[Municipality, ...] = tuple(
    _municipalities(
        "1084",
        """
        101|København|650
        147|Frederiksberg|105
        151|Ballerup|49
        153|Brøndby|36
        155|Dragør|14
        157|Gentofte|75
        159|Gladsaxe|70
        161|Glostrup|24
        163|Herlev|30
        165|Albertslund|28
        167|Hvidovre|54
        169|Høje-Taastrup|52
        173|Lyngby-Taarbæk|57
        175|Rødovre|41
        183|Ishøj|24
        185|Tårnby|44
        187|Vallensbæk|17
        190|Furesø|41
        201|Allerød|26
        210|Fredensborg|41
        217|Helsingør|63
        219|Hillerød|52
        223|Hørsholm|25
        230|Rudersdal|57
        240|Egedal|44
        250|Frederikssund|46
        260|Halsnæs|31
        270|Gribskov|41
        400|Bornholm|39
        """,
    )
    + _municipalities(
        "1085",
        """
        253|Greve|51
        259|Køge|62
        265|Roskilde|90
        269|Solrød|23
        306|Odsherred|33
        316|Holbæk|72
        320|Faxe|37
        326|Kalundborg|48
        329|Ringsted|35
        330|Slagelse|80
        336|Stevns|23
        340|Sorø|30
        350|Lejre|29
        360|Lolland|41
        370|Næstved|84
        376|Guldborgsund|61
        390|Vordingborg|45
        """,
    )
    + _municipalities(
        "1083",
        """
        410|Middelfart|39
        420|Assens|41
        430|Faaborg-Midtfyn|51
        440|Kerteminde|24
        450|Nyborg|32
        461|Odense|207
        479|Svendborg|59
        480|Nordfyns|29
        482|Langeland|12
        492|Ærø|6
        510|Haderslev|55
        530|Billund|27
        540|Sønderborg|74
        550|Tønder|37
        561|Esbjerg|116
        563|Fanø|3
        573|Varde|50
        575|Vejen|43
        580|Aabenraa|59
        607|Fredericia|52
        621|Kolding|95
        630|Vejle|121
        """,
    )
    + _municipalities(
        "1082",
        """
        615|Horsens|97
        657|Herning|90
        661|Holstebro|59
        665|Lemvig|19
        671|Struer|21
        706|Syddjurs|43
        707|Norddjurs|37
        710|Favrskov|49
        727|Odder|23
        730|Randers|99
        740|Silkeborg|98
        741|Samsø|4
        746|Skanderborg|64
        751|Aarhus|365
        756|Ikast-Brande|42
        760|Ringkøbing-Skjern|56
        766|Hedensted|47
        779|Skive|46
        791|Viborg|97
        """,
    )
    + _municipalities(
        "1081",
        """
        773|Morsø|20
        787|Thisted|43
        810|Brønderslev|36
        813|Frederikshavn|59
        820|Vesthimmerlands|36
        825|Læsø|2
        840|Rebild|30
        846|Mariagerfjord|42
        849|Jammerbugt|38
        851|Aalborg|222
        860|Hjørring|64
        """,
    )
)

# post code | town | kommunekode
_POST_TOWNS = """
1050|København K|101
1160|København K|101
1250|København K|101
1360|København K|101
1550|København V|101
1620|København V|101
2100|København Ø|101
2150|Nordhavn|101
2200|København N|101
2300|København S|101
2400|København NV|101
2450|København SV|101
2500|Valby|101
2700|Brønshøj|101
2720|Vanløse|101
1850|Frederiksberg C|147
2000|Frederiksberg|147
2750|Ballerup|151
2760|Måløv|151
2605|Brøndby|153
2660|Brøndby Strand|153
2791|Dragør|155
2820|Gentofte|157
2900|Hellerup|157
2920|Charlottenlund|157
2860|Søborg|159
2880|Bagsværd|159
2600|Glostrup|161
2730|Herlev|163
2620|Albertslund|165
2650|Hvidovre|167
2630|Taastrup|169
2640|Hedehusene|169
2800|Kongens Lyngby|173
2610|Rødovre|175
2635|Ishøj|183
2770|Kastrup|185
2665|Vallensbæk Strand|187
3520|Farum|190
3500|Værløse|190
3450|Allerød|201
3480|Fredensborg|210
2990|Nivå|210
3000|Helsingør|217
3100|Hornbæk|217
3400|Hillerød|219
2970|Hørsholm|223
2840|Holte|230
2850|Nærum|230
3660|Stenløse|240
3650|Ølstykke|240
3600|Frederikssund|250
3300|Frederiksværk|260
3390|Hundested|260
3200|Helsinge|270
3250|Gilleleje|270
3700|Rønne|400
3730|Nexø|400
3770|Allinge|400
2670|Greve|253
2690|Karlslunde|253
4600|Køge|259
4000|Roskilde|265
2680|Solrød Strand|269
4500|Nykøbing Sj|306
4550|Asnæs|306
4300|Holbæk|316
4640|Faxe|320
4690|Haslev|320
4400|Kalundborg|326
4100|Ringsted|329
4200|Slagelse|330
4220|Korsør|330
4230|Skælskør|330
4660|Store Heddinge|336
4180|Sorø|340
4320|Lejre|350
4330|Hvalsø|350
4930|Maribo|360
4900|Nakskov|360
4700|Næstved|370
4800|Nykøbing F|376
4760|Vordingborg|390
4780|Stege|390
5500|Middelfart|410
5610|Assens|420
5600|Faaborg|430
5750|Ringe|430
5300|Kerteminde|440
5800|Nyborg|450
5000|Odense C|461
5200|Odense V|461
5230|Odense M|461
5250|Odense SV|461
5700|Svendborg|479
5400|Bogense|480
5900|Rudkøbing|482
5970|Ærøskøbing|492
6100|Haderslev|510
7190|Billund|530
7200|Grindsted|530
6400|Sønderborg|540
6430|Nordborg|540
6270|Tønder|550
6700|Esbjerg|561
6705|Esbjerg Ø|561
6720|Fanø|563
6800|Varde|573
6600|Vejen|575
6200|Aabenraa|580
7000|Fredericia|607
6000|Kolding|621
7100|Vejle|630
7120|Vejle Øst|630
8700|Horsens|615
7400|Herning|657
7500|Holstebro|661
7620|Lemvig|665
7600|Struer|671
8400|Ebeltoft|706
8410|Rønde|706
8500|Grenaa|707
8370|Hadsten|710
8382|Hinnerup|710
8300|Odder|727
8900|Randers C|730
8930|Randers NØ|730
8600|Silkeborg|740
8305|Samsø|741
8660|Skanderborg|746
8000|Aarhus C|751
8200|Aarhus N|751
8210|Aarhus V|751
8240|Risskov|751
8260|Viby J|751
8270|Højbjerg|751
7430|Ikast|756
7330|Brande|756
6950|Ringkøbing|760
6900|Skjern|760
8722|Hedensted|766
7800|Skive|779
8800|Viborg|791
7900|Nykøbing M|773
7700|Thisted|787
9700|Brønderslev|810
9900|Frederikshavn|813
9990|Skagen|813
9600|Aars|820
9940|Læsø|825
9520|Skørping|840
9530|Støvring|840
9500|Hobro|846
9550|Mariager|846
9490|Pandrup|849
9440|Aabybro|849
9000|Aalborg|851
9200|Aalborg SV|851
9210|Aalborg SØ|851
9220|Aalborg Øst|851
9400|Nørresundby|851
9800|Hjørring|860
9850|Hirtshals|860
"""

POST_TOWNS: tuple[PostTown, ...] = tuple(
    PostTown(*(part.strip() for part in row.split("|"))) for row in _POST_TOWNS.strip().splitlines()
)
MUNICIPALITY_BY_CODE: dict[str, Municipality] = {m.code: m for m in MUNICIPALITIES}
POST_TOWNS_BY_MUNICIPALITY: dict[str, tuple[PostTown, ...]] = {
    m.code: tuple(p for p in POST_TOWNS if p.municipality == m.code) for m in MUNICIPALITIES
}
POST_TOWNS_BY_CODE: dict[str, PostTown] = {p.postcode: p for p in POST_TOWNS}


@dataclass(frozen=True, slots=True)
class Hospital:
    name: str
    region: str
    postcode: str
    street: str
    building: str


HOSPITALS: tuple[Hospital, ...] = (
    Hospital("Aalborg Universitetshospital", "1081", "9000", "Hobrovej", "18"),
    Hospital("Regionshospital Nordjylland, Hjørring", "1081", "9800", "Bispensgade", "37"),
    Hospital("Regionshospital Nordjylland, Frederikshavn", "1081", "9900", "Barfredsvej", "83"),
    Hospital("Aalborg Universitetshospital, Thisted", "1081", "7700", "Højtoftevej", "2"),
    Hospital("Psykiatrisk Sygehus Aalborg", "1081", "9000", "Mølleparkvej", "10"),
    Hospital("Aarhus Universitetshospital", "1082", "8200", "Palle Juul-Jensens Boulevard", "99"),
    Hospital("Regionshospital Gødstrup", "1082", "7400", "Hospitalsparken", "15"),
    Hospital("Regionshospital Randers", "1082", "8930", "Skovlyvej", "15"),
    Hospital("Regionshospital Horsens", "1082", "8700", "Sundvej", "30"),
    Hospital("Regionshospital Viborg", "1082", "8800", "Heibergs Allé", "4"),
    Hospital("Regionshospital Silkeborg", "1082", "8600", "Falkevej", "1"),
    Hospital("Aarhus Universitetshospital Psykiatrien", "1082", "8200", "Palle Juul-Jensens Boulevard", "175"),
    Hospital("Odense Universitetshospital", "1083", "5000", "J. B. Winsløws Vej", "4"),
    Hospital("Sygehus Lillebælt, Vejle", "1083", "7100", "Beriderbakken", "4"),
    Hospital("Sygehus Lillebælt, Kolding", "1083", "6000", "Sygehusvej", "24"),
    Hospital("Sydvestjysk Sygehus", "1083", "6700", "Finsensgade", "35"),
    Hospital("Sygehus Sønderjylland", "1083", "6200", "Kresten Philipsens Vej", "15"),
    Hospital("OUH Svendborg Sygehus", "1083", "5700", "Valdemarsgade", "57"),
    Hospital("Psykiatrien i Region Syddanmark", "1083", "5000", "J. B. Winsløws Vej", "18"),
    Hospital("Rigshospitalet", "1084", "2100", "Blegdamsvej", "9"),
    Hospital("Herlev og Gentofte Hospital", "1084", "2730", "Borgmester Ib Juuls Vej", "1"),
    Hospital("Bispebjerg og Frederiksberg Hospital", "1084", "2400", "Bispebjerg Bakke", "23"),
    Hospital("Amager og Hvidovre Hospital", "1084", "2650", "Kettegård Allé", "30"),
    Hospital("Nordsjællands Hospital", "1084", "3400", "Dyrehavevej", "29"),
    Hospital("Bornholms Hospital", "1084", "3700", "Ullasvej", "8"),
    Hospital("Psykiatrisk Center København", "1084", "2100", "Edel Sauntes Allé", "10"),
    Hospital("Sjællands Universitetshospital, Køge", "1085", "4600", "Lykkebækvej", "1"),
    Hospital("Sjællands Universitetshospital, Roskilde", "1085", "4000", "Sygehusvej", "10"),
    Hospital("Nykøbing F. Sygehus", "1085", "4800", "Fjordvej", "15"),
    Hospital("Holbæk Sygehus", "1085", "4300", "Smedelundsgade", "60"),
    Hospital("Næstved Sygehus", "1085", "4700", "Ringstedgade", "61"),
    Hospital("Slagelse Sygehus", "1085", "4200", "Fælledvej", "11"),
    Hospital("Psykiatrien Region Sjælland", "1085", "4000", "Smedegade", "10"),
)

FIRST_NAMES: tuple[str, ...] = (
    "Anne", "Mette", "Kirsten", "Hanne", "Helle", "Susanne", "Lene", "Maria", "Marianne", "Lone",
    "Camilla", "Louise", "Pia", "Charlotte", "Tina", "Julie", "Ida", "Emma", "Sofie", "Laura",
    "Karen", "Inge", "Birgitte", "Jette", "Rikke", "Signe", "Line", "Maja", "Freja", "Cecilie",
    "Peter", "Jens", "Lars", "Michael", "Henrik", "Thomas", "Søren", "Jan", "Niels", "Anders",
    "Morten", "Jesper", "Mads", "Rasmus", "Martin", "Christian", "Per", "Ole", "Klaus", "Torben",
    "Jørgen", "Poul", "Frederik", "Mikkel", "Kasper", "Jakob", "Anton", "Emil", "Søs", "Bjørn",
)  # fmt: skip

SURNAMES: tuple[str, ...] = (
    "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen",
    "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen", "Jakobsen", "Mikkelsen", "Olesen",
    "Frederiksen", "Laursen", "Henriksen", "Lund", "Holm", "Schmidt", "Eriksen", "Kristiansen",
    "Clausen", "Simonsen", "Svendsen", "Andreasen", "Iversen", "Jeppesen", "Mogensen", "Vestergaard",
    "Nissen", "Lauridsen", "Kjær", "Jespersen", "Dahl", "Skov", "Friis", "Bach", "Berg",
    "Østergaard", "Brandt", "Winther", "Dam", "Juhl", "Lindberg", "Bjerre", "Gade", "Krogh", "Lykke",
)  # fmt: skip

STREETS: tuple[str, ...] = (
    "Hovedgaden", "Nørregade", "Søndergade", "Vestergade", "Østergade", "Algade", "Bredgade",
    "Kirkevej", "Skolevej", "Stationsvej", "Parkvej", "Møllevej", "Engvej", "Skovvej", "Strandvejen",
    "Industrivej", "Birkevej", "Egevej", "Bøgevej", "Ahornvej", "Kastanievej", "Lindevej", "Rosenvej",
    "Vibevej", "Solvej", "Havnegade", "Torvet", "Jernbanegade", "Kongensgade", "Dronningensgade",
    "Allégade", "Klostergade", "Ringvejen", "Nyvej", "Tværgade", "Markvej", "Åboulevarden",
    "Sundhedsvej", "Lægehusvej", "Rådhuspladsen", "Storegade", "Smedegade", "Kirkegade", "Bakkevej",
    "Fasanvej", "Grønnegade", "Hedevej", "Kongevejen", "Lundevej", "Mosevej", "Nygade", "Præstevej",
    "Slotsgade", "Toftevej", "Vænget", "Ved Søen", "Åvej", "Østerbrogade", "Vesterbrogade",
    "Frederiksberg Allé", "Nørrebrogade", "Amagerbrogade", "Jyllandsgade", "Fynsvej", "Sjællandsgade",
)  # fmt: skip

# Parts of nursing-home and centre names ("Solbakken", "Egegården", ...).
PLACE_PREFIXES: tuple[str, ...] = (
    "Sol", "Ege", "Linde", "Bøge", "Rose", "Kastanie", "Birke", "Sø", "Skov", "Eng", "Mølle",
    "Strand", "Fjord", "Bakke", "Hav", "Ahorn", "Elme", "Aske", "Kilde", "Lunde", "Hyld", "Vibe",
)  # fmt: skip
PLACE_SUFFIXES: tuple[str, ...] = (
    "bakken", "gården", "hjemmet", "haven", "højen", "lunden", "bo", "parken", "toften", "vang", "hus",
)  # fmt: skip

DISTRICTS: tuple[str, ...] = ("Nord", "Syd", "Øst", "Vest", "Midt", "Centrum", "By", "Land")


def ascii_slug(text: str) -> str:
    """``Lyngby-Taarbæk`` -> ``lyngby-taarbaek``: for e-mail addresses and web sites."""
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe", "ä": "ae"})
    folded = text.casefold().translate(table)
    out = "".join(ch if ch.isalnum() and ch.isascii() else "-" for ch in folded)
    return "-".join(part for part in out.split("-") if part)

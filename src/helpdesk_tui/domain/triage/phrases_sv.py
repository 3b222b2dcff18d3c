"""The Swedish phrase table: the same signals as `phrases` (the English table), for
Swedish tickets. Data only; written accent-folded (å, ä → a, ö → o), as `rules` matches
it against accent-folded text, so "ligger nere" and "brådskande" read as written."""

from __future__ import annotations

from .phrases import ACC, CHG, CMP, CRIT, HARM, HIGH, INC, INFO, LOW, MED, SRV
from .votes import Rule, phrase_rule, priority_vote, tier_vote, type_vote

_PEOPLE = (
    r"(?:anvandare(?:n|na)?|anstallda|medarbetare(?:na)?|kollegor(?:na)?|kunder(?:na)?"
    r"|butiker(?:na)?|planerare(?:na)?|saljare(?:na)?|lager|kontor(?:en)?|inkopare(?:na)?"
    r"|personer(?:na)?|larare(?:na)?|elever(?:na)?|medlemmar(?:na)?|filialer(?:na)?)"
)
_PLACE = (
    r"\w*(?:avdelningen|regionen|lagret|kontoret|butiken|teamet|filialen|gruppen|enheten"
    r"|skolan)"
)
COUNTED_PEOPLE = (
    r"personer|anvandare|anstallda|medarbetare|kollegor|inkopare|planerare|saljare|larare"
    r"|elever|medlemmar|kassorer"
)
"""Who a number counts in "12 personer", "alla 8 inköpare" (the plural's -na optional)."""
_SYSTEM = r"(?:system(?:et)?|plattformen|tjansten|sajten|sidan|servern|appen|portalen|allt)"
_DATA = r"(?:data(?:n)?|uppgifter(?:na)?|fakturor(?:na)?|ordrar(?:na)?|order(?:n)?|poster(?:na)?)"
_RECORDS = (
    r"\w*(?:data|uppgifter|fakturor|ordrar|order|rader|poster|filer|dokument|transaktioner"
    r"|bokningar|siffror)\w*"
)

SV_RULES: tuple[Rule, ...] = (
    phrase_rule(
        [
            rf"{_SYSTEM} (?:ar |ligger |gick )?(?:helt )?(?:nere|ner|dott|otillganglig)",
            rf"{_SYSTEM} (?:svarar|startar|laddar) inte(?: alls)?",
            "ligger nere",
            r"(?:totalt|fullstandigt|komplett|stort) avbrott",
            r"hela (?:foretaget|bolaget|organisationen|verksamheten) (?:star still|kan inte)",
            "star still",
        ],
        priority_vote(CRIT, 3.0),
        type_vote(INC, 2.0),
        tier_vote(3, 2.0),
    ),
    phrase_rule(
        [r"avbrott(?:et)?"], priority_vote(CRIT, 1.5), type_vote(INC, 2.0), tier_vote(3, 1.0)
    ),
    phrase_rule(
        [
            rf"(?:alla|samtliga) (?:vara |vi )?{_PEOPLE}",
            r"hela (?:foretaget|bolaget|organisationen)",
            r"ingen(?: av (?:oss|vara|vare)(?: \d+)?(?: \w+)?)? (?:kan|kommer (?:at|in))",
            r"kommer ingen (?:\w+ ){0,4}(?:in|at)",
            "ingen kommer in",
        ],
        priority_vote(CRIT, 2.5),
        type_vote(INC, 1.0),
        tier_vote(3, 1.0),
    ),
    phrase_rule(
        [
            r"dataintrang",
            r"sakerhetsincident",
            r"intrang",
            r"hackad(?:e|es)?",
            r"lackt|lackta|lacka|lackage",
            r"obehorig(?:a)? (?:atkomst|inloggning(?:ar)?)",
            rf"(?:en )?annan kunds? {_DATA}",
            rf"andra (?:kunders|foretags|butikers) {_DATA}",
            rf"{_DATA} (?:fran|som tillhor) (?:en )?annan",
            r"ser (?:en )?annan kunds",
            r"exponerad(?:e)?|synlig(?:a)? for alla",
            r"(?:en annan|ett annat|andra) "
            r"(?:kund|kedja|foretag|butik|bolag|aktor|aterforsaljare)s",
            r"(?:fran|tillhor) (?:en annan|ett annat|andra) (?:kund|kedja|foretag|butik|bolag)",
            r"fel (?:kunds|kedjas|foretags|butiks)",
            r"(?:okand|okant|misstankt\w*) (?:ip|land|plats|enhet|inloggning\w*|aktivitet)",
        ],
        priority_vote(CRIT, HARM),
        type_vote(INC, 3.0),
        tier_vote(3, 3.0),
    ),
    phrase_rule(
        [
            rf"{_DATA} (?:ar |har )?(?:borta|forsvunn\w*|raderad\w*|forlorad\w*)",
            rf"{_RECORDS}(?: [\w-]+){{0,5}} (?:ar |har |blev )?(?:borta|forsvunn\w*|raderade)",
            r"(?:har|blev|blivit) (?:\w+ )?raderade|raderades",
            r"(?:har )?forsvunnit",
            r"dataforlust",
            r"korrupt\w*",
        ],
        priority_vote(CRIT, 2.5),
        type_vote(INC, 2.0),
        tier_vote(3, 2.5),
    ),
    phrase_rule(
        [rf"(?:flera|manga|ett flertal|en grupp) (?:av (?:vara )?)?{_PEOPLE}"],
        priority_vote(HIGH, 2.0),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [
            rf"hela {_PLACE}",
            rf"(?:alla|ingen|ingen av oss) (?:i|pa) (?:\w+ )?{_PLACE}",
        ],
        priority_vote(HIGH, 2.5),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [r"(?:mycket|extremt|valdigt|jatte|olidligt) (?:langsam\w*|seg\w*)"],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 1.5),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [r"krasch\w*", r"hanger sig", r"fryser", r"kastas ut", r"loggas ut"],
        priority_vote(MED, 0.5),
        type_vote(INC, 2.0),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"(?:kan inte|kommer inte at att|hindrar oss fran att) (?:\w+ ){0,3}"
            r"(?:fakturera|leverera|skicka|slutfora|behandla|lonekor\w*|bestall\w*|betala|salja)"
        ],
        priority_vote(HIGH, 1.5),
        type_vote(INC, 1.0),
    ),
    phrase_rule(
        [r"(?:allvarlig|kritisk|blockerande) (?:bugg|fel|problem)"],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 1.5),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            r"(?:jobbet|jobben|synk\w*|importen|exporten|integrationen|batch\w*) (?:\w+ ){0,2}"
            r"(?:misslyckas|misslyckades|fastnar|har fastnat|ar forsenad\w*|gar inte)"
        ],
        priority_vote(HIGH, 1.5),
        type_vote(INC, 1.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [r"bradskande", "akut", "snarast", "omgaende", r"sa fort som mojligt", r"bratt\w*"],
        priority_vote(HIGH, 1.0),
        priority_vote(CRIT, 0.3),
    ),
    phrase_rule(
        [
            r"(?:ta bort|stang av|avaktivera|sparra) (?:\w+ ){0,3}"
            r"(?:behorighet\w*|konto\w*|atkomst)",
            r"(?:har )?slutat (?:hos oss|pa foretaget)",
        ],
        priority_vote(HIGH, 2.5),
        type_vote(ACC, 3.0),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [
            rf"(?:nagra|nagon enstaka|en|ett par|tva|tre|enstaka) {_PEOPLE}",
            r"en (?:kollega|anvandare)",
        ],
        priority_vote(MED, 2.0),
        tier_vote(1, 0.3),
    ),
    phrase_rule(
        [r"ibland", r"da och da", r"sporadisk\w*", r"tillfallig\w*", r"inte alltid", r"emellanat"],
        priority_vote(MED, 2.0),
        type_vote(INC, 1.0),
    ),
    phrase_rule(
        [r"(?:forsenad\w*|sena) (?:notiser|aviseringar|mejl|e-post|meddelanden|paminnelser)"],
        priority_vote(MED, 2.0),
        type_vote(INC, 1.5),
        tier_vote(1, 0.5),
    ),
    phrase_rule(
        [r"(?:mindre|litet|liten|smarre) (?:fel|bugg|problem)", r"inte kritisk\w*"],
        priority_vote(MED, 2.0),
        type_vote(INC, 1.0),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [r"langsam\w*", r"seg(?:t|a)?", r"tar (?:evigheter|lang tid|flera minuter)"],
        priority_vote(MED, 0.8),
        type_vote(INC, 1.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"losning pa (?:tillfallig|det)",
            r"kringga",
            r"tillfallig losning",
            r"under tiden",
            r"sa lange",
            r"(?:vi|jag) kan fortfarande",
            r"for hand",
        ],
        priority_vote(MED, 1.0),
    ),
    phrase_rule(
        [
            r"ingen (?:annan )?(?:losning|vag runt|workaround|alternativ)",
            r"(?:maste|ska) (?:vara klar\w*|ut|skickas) (?:i dag|idag|i morgon|imorgon)",
            r"senast (?:i dag|idag|i morgon|imorgon)",
        ],
        priority_vote(HIGH, 1.5),
    ),
    phrase_rule(
        [
            r"stavfel",
            r"felstavat?",
            r"felstavning",
            r"kosmetisk\w*",
            r"typsnitt",
            r"ikon\w*",
            r"farg(?:en|er|erna)?",
            r"layouten",
            r"ser konstig\w* ut",
            r"formatering\w*",
        ],
        priority_vote(LOW, 2.5),
        type_vote(INC, 0.5),
        tier_vote(1, 1.0),
    ),
    phrase_rule(
        [
            r"forslag",
            r"onskemal",
            r"det (?:vore|skulle vara) (?:bra|trevligt|smidigt|skont|anvandbart)",
            r"forbattring\w*",
            r"ny (?:funktion|rapport|kolumn|knapp|vy)",
            r"lagg(?:a)? till (?:en|ett|ny|nya)",
            r"andringsbegaran",
            r"anpassning",
            r"utveckla (?:en|ett)",
        ],
        priority_vote(LOW, 2.0),
        type_vote(CHG, 3.0),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"inte (?:sa |sarskilt )?(?:bradskande|bratt\w*)",
            r"ingen brad\w*",
            r"lag prioritet",
            r"nar ni har tid",
            r"i (?:lugn och ro|mon av tid)",
        ],
        priority_vote(LOW, 3.0),
    ),
    phrase_rule(
        [
            r"paverkar (?:inte|inget|ingen)",
            r"ingen paverkan",
            r"fungerar (?:anda|anda bra)",
            r"(?:fungerar|funkar) (?:igen|som vanligt igen)",
        ],
        priority_vote(LOW, 2.0),
    ),
    phrase_rule(
        [
            r"fel(?:et|meddelande\w*)?",
            r"fungerar inte",
            r"funkar inte",
            r"gar inte att",
            r"trasig\w*",
            r"bugg\w*",
            r"slutat fungera",
            r"kan inte (?:logga|oppna|spara|skriva|se|komma at|ladda|skicka)",
            r"saknas",
            r"laddar inte",
            r"fel (?:belopp|siffror|priser)",
            r"felaktig\w*",
            r"(?:visas|syns) inte",
            r"inte (?:sparad\w*|uppdaterad\w*|skickad\w*|synkad\w*|synkats|importerad\w*)",
        ],
        type_vote(INC, 2.0),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [
            r"(?:kan ni|kan du|skulle ni kunna|vanligen|snalla|vi behover att ni|vi vill att ni)"
            r" (?:\w+ )?"
            r"(?:installera|skapa|andra|uppdatera|flytta|aktivera|lagga upp|exportera|schemalagga"
            r"|oka|forlanga|byta|aterstalla|arkivera|konfigurera|stalla in|satta upp|skicka"
            r"|kora om|ta fram|lasa in|importera|radera|ta bort)"
        ],
        type_vote(SRV, 2.0),
        tier_vote(1, 0.3),
    ),
    phrase_rule(
        [
            r"(?:ny|nytt|nya) (?:api-?nyckel|licens\w*|miljo|testmiljo|certifikat)",
            r"(?:oka|hoj\w*|utoka) (?:var |vart )?(?:kvot\w*|lagring\w*|grans\w*)",
            r"andra (?:installning\w*|schema\w*|tid\w*|standard\w*)",
        ],
        type_vote(SRV, 2.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"behorighet\w*",
            r"atkomst",
            r"ny (?:anvandare|anstalld|medarbetare|kollega)",
            r"nyanstalld\w*",
            r"lasbehorighet",
            r"admin-?rattigheter",
        ],
        type_vote(ACC, 2.5),
        priority_vote(LOW, 0.8),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [
            r"(?:aterstall\w*|nollstall\w*) (?:mitt |hans |hennes |ett )?losenord",
            r"glomt (?:mitt )?losenord",
            r"utelast\w*",
            r"last (?:ute|konto)",
            r"konto(?:t)? (?:ar )?last",
            r"las upp",
        ],
        type_vote(ACC, 2.0),
        priority_vote(MED, 1.5),
        tier_vote(1, 2.0),
    ),
    phrase_rule(
        [
            r"hur (?:gor|kan|ska|far|fungerar) (?:jag|vi|man)?",
            r"hur \w+ (?:jag|vi|man|ni)",
            r"nar (?:ar|blir|planeras|kan)",
            r"ar det mojligt",
            r"finns det (?:ett satt|nagon|en)",
            r"fraga\w*",
            r"undrar",
            r"vad (?:ar|betyder|innebar)",
            r"var (?:hittar|finns)",
            r"stods?",
            r"nar (?:kommer|slapps)",
            r"kan (?:vi|jag) ",
        ],
        type_vote(INFO, 2.0),
        priority_vote(LOW, 0.8),
        tier_vote(1, 1.0),
    ),
    phrase_rule(
        [
            r"klagomal\w*",
            r"klaga\w*",
            r"missnojd\w*",
            r"besvik\w*",
            r"oacceptabel\w*",
            r"aterbetalning\w*",
            r"ersattning",
            r"kompensation",
            r"dalig (?:service|support|kommunikation)",
        ],
        type_vote(CMP, 3.0),
        priority_vote(MED, 0.8),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            r"ingen har (?:svarat|hort av sig|ringt)",
            r"fortfarande inte (?:lost|atgardat|svarat)",
            r"(?:tredje|fjarde) gangen",
            r"stangdes utan",
            r"utan (?:svar|att nagon)",
            r"(?:prata|tala) med (?:en )?chef",
            r"en chef (?:tittar|ser)",
            r"eskalera\w*",
        ],
        type_vote(CMP, 3.0),
        priority_vote(HIGH, 2.5),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            r"dubbeldebiter\w*",
            r"debiterade (?:oss )?tva ganger",
            r"(?:debiterade?s?|fakturerade?s?) (?:oss )?(?:for|med)",
        ],
        type_vote(CMP, 1.5),
        priority_vote(MED, 1.5),
        tier_vote(1, 2.5),
    ),
    phrase_rule(
        [r"kopia (?:pa|av) (?:\w+ )?\w*faktura\w*", r"\w*fakturakopia\w*"],
        type_vote(SRV, 2.0),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [r"vagledning", r"rad om", r"vad rekommenderar", r"basta (?:praxis|satt)"],
        type_vote(INFO, 2.0),
        priority_vote(MED, 2.0),
    ),
    phrase_rule(
        [r"databas\w*", r"servern|servrar\w*", r"certifikat\w*"],
        tier_vote(3, 1.2),
    ),
    phrase_rule([r"\w*integration\w*", r"affarssystem\w*", r"kassasystem\w*"], tier_vote(3, 3.0)),
    phrase_rule(
        [r"rapport(?:en|er|erna)", r"exporten", r"importen", r"jobb(?:et)?", r"berakning\w*"],
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [r"mitt konto", r"profil\w*", r"skrivare\w*", r"utskrift\w*"],
        tier_vote(1, 1.0),
        priority_vote(LOW, 0.5),
    ),
    # The English table's remaining signals, in Swedish (definite and compound forms).
    # Words spelt the same in English ("manual", "dashboard", "fyi") are left to that
    # table: every table reads every ticket, and a word in two tables would vote twice.
    phrase_rule(
        [r"(?:partiellt|delvis|regionalt|lokalt) avbrott"],
        priority_vote(HIGH, 3.5),
        type_vote(INC, 2.0),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [r"(?:karnfunktion\w*|huvudfunktion\w*|kritisk\w* (?:funktion\w*|process\w*|flode\w*))"],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 0.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"(?:andra|ovriga) (?:butiker|kontor|regioner|avdelningar|lager|filialer)\w* "
            r"(?:fungerar|funkar|ar opaverkade|paverkas inte|ser normala ut|har inga problem)"
        ],
        priority_vote(HIGH, 2.5),
        priority_vote(CRIT, -2.0),
    ),
    phrase_rule(
        [
            r"(?:andra|ovriga) (?:anvandare|kollegor)\w* (?:fungerar|funkar|ar opaverkade"
            r"|paverkas inte|har inga problem)",
            r"(?:resten|de andra|ovriga) (?:fungerar|funkar|ar opaverkade|paverkas inte)",
        ],
        priority_vote(MED, 1.5),
        priority_vote(CRIT, -2.0),
    ),
    phrase_rule(
        [r"varje gang", r"hela tiden", r"flera ganger (?:om|per|i) (?:dagen|timmen|passet)"],
        priority_vote(HIGH, 0.8),
    ),
    phrase_rule(
        [r"inte blockerande", r"hindrar (?:inte|inget)", r"stoppar (?:inte|inget)"],
        priority_vote(MED, 1.0),
        priority_vote(LOW, 0.5),
    ),
    phrase_rule(
        [
            r"dokumentation\w*",
            r"anvandarguide\w*",
            r"hjalpartik\w*",
            r"versionsinformation\w*",
            r"kunskapsbas\w*",
        ],
        priority_vote(LOW, 1.5),
        type_vote(INFO, 1.5),
        tier_vote(1, 1.0),
    ),
    phrase_rule(
        [r"snabb fraga", r"bara nyfiken", r"for kannedom", r"(?:jag|vi) undrar bara"],
        priority_vote(LOW, 2.0),
        type_vote(INFO, 3.0),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [
            r"(?:efter|sedan) (?:den senaste |senaste )?(?:uppdatering\w*|releasen|versionen"
            r"|uppgradering\w*|driftsattning\w*)",
            r"instrumentpanel\w*",
            r"logg(?:ar|en|arna|fil\w*)?",
        ],
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"tidszon\w*",
            r"sprakinstallning\w*",
            r"visningsnamn\w*",
            r"webblasar\w*",
            r"(?:rensa|tomma) (?:\w+ )?cache\w*",
            r"faktureringsadress\w*",
        ],
        tier_vote(1, 1.0),
        priority_vote(LOW, 0.5),
    ),
)

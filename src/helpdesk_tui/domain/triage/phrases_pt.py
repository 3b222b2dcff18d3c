"""The Portuguese phrase table: the same signals as `phrases` (the English table), for
Portuguese tickets. Data only; written accent-folded (não → nao, ç → c), as `rules`
matches it against accent-folded text."""

from __future__ import annotations

from .phrases import ACC, CHG, CMP, CRIT, HIGH, INC, INFO, LOW, MED, SRV
from .votes import Rule, phrase_rule, priority_vote, tier_vote, type_vote

_PEOPLE = (
    r"(?:usuarios|utilizadores|funcionarios|colaboradores|clientes|lojas|filiais|vendedores"
    r"|planejadores|operadores|agentes|escritorios)"
)
_SYSTEM = r"(?:sistema|plataforma|site|servico|servidor|portal|aplicativo|aplicacao|tudo)"
_DATA = r"(?:dados|pedidos|faturas|notas fiscais|registros|vendas|encomendas)"

PT_RULES: tuple[Rule, ...] = (
    phrase_rule(
        [
            rf"{_SYSTEM} (?:esta |ficou |caiu|parou|fora do ar|inoperante|indisponivel)\w*",
            r"fora do ar",
            r"(?:queda|interrupcao|paralisacao) (?:total|geral|completa)",
            r"(?:a )?empresa (?:inteira|toda) (?:esta )?parada",
            r"toda a (?:empresa|operacao) (?:esta )?parada",
            r"(?:tudo|operacao) parad[oa]",
        ],
        priority_vote(CRIT, 3.0),
        type_vote(INC, 2.0),
        tier_vote(3, 2.0),
    ),
    phrase_rule(
        [r"interrupc\w+", r"queda"],
        priority_vote(CRIT, 1.5),
        type_vote(INC, 2.0),
        tier_vote(3, 1.0),
    ),
    phrase_rule(
        [
            rf"tod[oa]s (?:os |as )?(?:nossos |nossas )?{_PEOPLE}",
            r"(?:toda a|a) empresa (?:inteira|toda)|toda a empresa|empresa inteira",
            r"ninguem (?:consegue|pode|esta conseguindo)",
            r"nenhum (?:usuario|funcionario|colaborador) (?:consegue|pode)",
        ],
        priority_vote(CRIT, 2.5),
        type_vote(INC, 1.0),
        tier_vote(3, 1.0),
    ),
    phrase_rule(
        [
            r"vazament\w*",
            r"violacao de (?:dados|seguranca)",
            r"incidente de seguranca",
            r"invadid[oa]s?|invasao|hackead[oa]s?",
            r"acesso nao autorizado",
            rf"{_DATA} de outr[oa]s? (?:cliente|empresa|loja|varejista|revendedor)",
            rf"{_DATA} (?:que )?(?:pertencem|pertence) a outr",
            r"(?:exposto|expostos|expostas|visiveis para todos|publicamente)",
        ],
        priority_vote(CRIT, 3.5),
        type_vote(INC, 2.0),
        tier_vote(3, 3.0),
    ),
    phrase_rule(
        [
            rf"{_DATA} (?:\w+ )?(?:sumiram|desapareceram|foram apagad\w*|perdid\w*|sumid\w*)",
            r"perda de dados",
            r"sumiram|desapareceram",
            r"corromp\w*",
        ],
        priority_vote(CRIT, 2.5),
        type_vote(INC, 2.0),
        tier_vote(3, 2.5),
    ),
    phrase_rule(
        [rf"(?:varios|varias|muitos|muitas|diversos|diversas) {_PEOPLE}"],
        priority_vote(HIGH, 2.0),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [
            r"tod[oa] (?:o |a )?(?:departamento|setor|armazem|escritorio|loja|regiao|filial"
            r"|equipe|centro)"
        ],
        priority_vote(HIGH, 2.5),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [r"(?:muito|extremamente|super|bem) lent\w*", r"lentidao (?:grave|enorme|severa)"],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 1.5),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            r"trava\w*|travou",
            r"fecha sozinho",
            r"cai (?:a cada|toda hora|o tempo todo)",
            r"desconect\w*",
        ],
        priority_vote(MED, 0.5),
        type_vote(INC, 2.0),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"(?:impede|impedindo|nao conseguimos|nao consigo) (?:\w+ ){0,3}"
            r"(?:faturar|emitir|enviar|concluir|processar|fechar)"
        ],
        priority_vote(HIGH, 1.5),
        type_vote(INC, 1.0),
    ),
    phrase_rule(
        [r"(?:erro|problema|bug|falha) (?:grave|critic[oa]|serio|bloqueante)"],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 1.5),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            r"(?:rotina|job|sincronizacao|integracao|importacao|exportacao|carga) (?:\w+ ){0,2}"
            r"(?:falhou|falhando|travad\w*|atrasad\w*|parad\w*|nao rodou)"
        ],
        priority_vote(HIGH, 1.5),
        type_vote(INC, 1.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [r"urgente\w*", r"o quanto antes", r"imediatamente", r"emergencia", r"com urgencia"],
        priority_vote(HIGH, 1.0),
        priority_vote(CRIT, 0.3),
    ),
    phrase_rule(
        [
            r"(?:remover|revogar|desativar|bloquear) (?:\w+ ){0,3}(?:acesso|conta|usuario|login)",
            r"(?:saiu|desligad[oa]) da empresa",
        ],
        priority_vote(HIGH, 1.5),
        type_vote(ACC, 3.0),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [
            rf"(?:alguns|algumas|poucos|poucas|um|uma|dois|duas|tres) {_PEOPLE}",
            r"(?:um|uma) (?:usuario|colega|loja)",
        ],
        priority_vote(MED, 2.0),
        tier_vote(1, 0.3),
    ),
    phrase_rule(
        [
            r"as vezes",
            r"de vez em quando",
            r"intermitente\w*",
            r"esporadic\w*",
            r"ocasional\w*",
            r"nem sempre",
        ],
        priority_vote(MED, 2.0),
        type_vote(INC, 1.0),
    ),
    phrase_rule(
        [
            r"(?:notificacoes|e-?mails?|alertas|avisos|lembretes) (?:\w+ )?"
            r"(?:atrasad\w*|chegam tarde|com atraso)"
        ],
        priority_vote(MED, 2.0),
        type_vote(INC, 1.5),
        tier_vote(1, 0.5),
    ),
    phrase_rule(
        [r"(?:pequeno|pequena|leve) (?:erro|problema|bug|falha)", r"nao (?:e )?critic\w*"],
        priority_vote(MED, 2.0),
        type_vote(INC, 1.0),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [r"lent\w*", r"lentidao", r"demora\w*"],
        priority_vote(MED, 0.8),
        type_vote(INC, 1.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule([r"paliativ\w*", r"contorno", r"solucao temporaria"], priority_vote(MED, 1.0)),
    phrase_rule(
        [
            r"erro de (?:digitacao|ortografia)",
            r"ortografi\w*",
            r"cosmetic\w*",
            r"fonte",
            r"icones?",
            r"cor(?:es)?",
            r"alinhament\w*",
            r"desalinhad\w*",
            r"formatacao",
        ],
        priority_vote(LOW, 2.5),
        tier_vote(1, 1.0),
    ),
    phrase_rule(
        [
            r"sugest\w*",
            r"seria (?:bom|otimo|util|interessante|legal)",
            r"melhoria\w*",
            r"nova (?:funcionalidade|coluna|opcao|tela)",
            r"novo (?:relatorio|campo|botao|filtro|recurso)",
            r"adicionar (?:um|uma|o|a|novo|nova)",
            r"(?:pedido|solicitacao) de mudanca",
            r"personaliza\w*",
            r"desenvolver (?:um|uma)",
        ],
        priority_vote(LOW, 2.0),
        type_vote(CHG, 3.0),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"nao (?:e |eh )?urgente",
            r"sem pressa",
            r"baixa prioridade",
            r"quando (?:puderem|possivel|tiverem tempo)",
        ],
        priority_vote(LOW, 3.0),
    ),
    phrase_rule(
        [r"nao (?:afeta|impacta|atrapalha)", r"sem impacto", r"continua funcionando"],
        priority_vote(LOW, 2.0),
    ),
    phrase_rule(
        [
            r"erros?",
            r"falha\w*",
            r"nao funciona\w*",
            r"quebrad\w*",
            r"bugs?",
            r"parou de funcionar",
            r"em falta",
            r"faltando",
            r"(?:nao consigo|nao conseguimos|nao conseguem) (?:\w+ )?(?:entrar|acessar|abrir"
            r"|salvar|imprimir|ver|enviar|logar)",
            r"nao carrega",
            r"nao abre",
            r"valores? errad\w*",
            r"incorret\w*",
        ],
        type_vote(INC, 2.0),
        tier_vote(2, 0.5),
    ),
    phrase_rule(
        [
            r"(?:por favor|poderiam|podem|pode|gostariamos que|solicito|solicitamos|pedimos que"
            r"|precisamos que) (?:\w+ )?"
            r"(?:configurar|criar|instalar|alterar|atualizar|ativar|mover|gerar|exportar|aumentar|renovar"
            r"|agendar|arquivar|restaurar|desativar|cadastrar|emitir)"
        ],
        type_vote(SRV, 2.0),
        tier_vote(1, 0.3),
    ),
    phrase_rule(
        [
            r"(?:nova|novo|outra|outro) (?:chave de api|token|licenca|ambiente|certificado)",
            r"aumentar (?:a |o |nossa |nosso )?(?:cota|limite|armazenamento)",
            r"alterar (?:o |a )?(?:horario|configuracao|parametro|agendamento)",
        ],
        type_vote(SRV, 2.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"acesso",
            r"permiss\w*",
            r"novo (?:usuario|funcionario|colaborador)",
            r"nova (?:funcionaria|colaboradora)",
            r"somente leitura",
            r"direitos de admin\w*",
            r"perfil de acesso",
        ],
        type_vote(ACC, 2.5),
        priority_vote(LOW, 0.8),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [
            r"(?:redefinir|resetar|trocar) (?:a |minha )?senha",
            r"esqueci (?:a |minha )?senha",
            r"(?:conta|usuario) bloquead\w*",
            r"desbloque\w*",
        ],
        type_vote(ACC, 2.0),
        tier_vote(1, 2.0),
    ),
    phrase_rule(
        [
            r"como (?:faco|posso|podemos|fazer|configuro|funciona)",
            r"e possivel",
            r"existe (?:uma|alguma) (?:forma|maneira)",
            r"duvida\w*",
            r"pergunta\w*",
            r"gostaria(?:mos)? de saber",
            r"qual (?:e|a|o)",
            r"onde (?:encontro|fica)",
            r"quando (?:sera|vai|sai)",
            r"(?:voces )?suportam",
        ],
        type_vote(INFO, 2.0),
        priority_vote(LOW, 0.8),
        tier_vote(1, 1.0),
    ),
    phrase_rule(
        [
            r"reclama\w*",
            r"insatisfeit\w*",
            r"decepcionad\w*",
            r"inaceitave\w*",
            r"reembolso",
            r"estorno",
            r"compensacao",
            r"pessimo (?:atendimento|servico|suporte)",
            r"ninguem (?:respondeu|retornou)",
            r"ainda (?:nao|sem) (?:resolvid\w*|resposta)",
            r"terceira vez",
            r"cobrad[oa]s? (?:em )?duas vezes",
            r"cobranca (?:duplicada|indevida)",
        ],
        type_vote(CMP, 3.0),
        priority_vote(HIGH, 0.8),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [r"integrac\w*", r"banco de dados", r"servidor\w*", r"certificado\w*"],
        tier_vote(3, 1.2),
    ),
    phrase_rule(
        [r"relatorio\w*", r"exportac\w*", r"importac\w*", r"rotina\w*", r"calculo\w*"],
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [r"minha conta", r"impressora\w*", r"impressao"], tier_vote(1, 1.0), priority_vote(LOW, 0.5)
    ),
)

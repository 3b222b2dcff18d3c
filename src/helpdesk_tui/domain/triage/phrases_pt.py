"""The Portuguese phrase table: the same signals as `phrases` (the English table), for
Portuguese tickets. Data only; written accent-folded (não → nao, ç → c), as `rules`
matches it against accent-folded text."""

from __future__ import annotations

from .phrases import ACC, CHG, CMP, CRIT, HARM, HIGH, INC, INFO, LOW, MED, SRV
from .votes import Rule, phrase_rule, priority_vote, tier_vote, type_vote

_PEOPLE = (
    r"(?:usuarios|utilizadores|funcionarios|colaboradores|clientes|lojas|filiais|vendedores"
    r"|planejadores|operadores|agentes|escritorios|pessoas|compradores|professores|alunos"
    r"|membros|armazens)"
)
_PLACE = (
    r"(?:departamento|setor|armazem|escritorio|loja|regiao|filial|equipe|equipa|centro"
    r"|escola|turma)"
)
COUNTED_PEOPLE = (
    r"pessoas|usuarios|utilizadores|funcionarios|colaboradores|planejadores|compradores"
    r"|vendedores|professores|alunos|operadores|agentes|membros|colegas"
)
"""Who a number counts in "10 pessoas", "cerca de 40 utilizadores"."""
_SYSTEM = r"(?:sistema|plataforma|site|servico|servidor|portal|aplicativo|aplicacao|tudo)"
_DATA = (
    r"(?:dados|pedidos|faturas|notas fiscais|registros|registos|vendas|encomendas|valores"
    r"|ficheiros|arquivos|documentos|transacoes|linhas)"
)

PT_RULES: tuple[Rule, ...] = (
    phrase_rule(
        [
            rf"{_SYSTEM} (?:esta |ficou |caiu|parou|fora do ar|inoperante|indisponivel)\w*",
            rf"{_SYSTEM} nao (?:responde|abre|carrega)",
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
            r"(?:nenhum|nenhuma)(?: d[oa]s)?(?: nossos| nossas)? (?:\w+ ){0,2}"
            r"(?:consegue|conseguem|pode|podem)",
        ],
        priority_vote(CRIT, 2.5),
        type_vote(INC, 1.5),
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
            r"(?:dados|pedidos|faturas|registos|registros|vendas|clientes|valores|nomes|moradas"
            r"|enderecos|numeros|informacoes|precos)(?: [\w-]+){0,3} d[eao]s? outr[oa]s? "
            r"(?:cliente|empresa|loja|varejista|revendedor|rede|marca)",
            r"(?:ip|pais|local|dispositivo|login|acesso|atividade|entrada)s? "
            r"(?:desconhecid\w*|suspeit\w*|estranh\w*)",
        ],
        priority_vote(CRIT, HARM),
        type_vote(INC, 3.0),
        tier_vote(3, 3.0),
    ),
    phrase_rule(
        [
            rf"{_DATA}(?: [\w-]+){{0,4}} (?:sumiram|desapareceram|foram apagad\w*|perdid\w*"
            r"|sumid\w*|foram eliminad\w*|foram excluid\w*)",
            r"(?:apagou|apagaram|eliminou|eliminaram) (?:\w+ ){0,2}(?:utilizadores|usuarios|dados"
            r"|registos|registros|contas)",
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
            rf"tod[oa] (?:o |a )?{_PLACE}",
            rf"{_PLACE} (?:inteir[oa]|tod[oa])",
            rf"ninguem (?:n[oa]|d[oa]) (?:\w+ ){{0,2}}{_PLACE}",
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
            r"(?:impede|impedindo|nao conseguimos|nao consigo|nao conseguem) (?:\w+ ){0,3}"
            r"(?:faturar|emitir|enviar|concluir|processar|fechar|pagar|vender|encomendar)"
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
            r"(?:removam|revoguem|desativem|bloqueiem) (?:\w+ ){0,3}(?:acesso|conta|login)",
        ],
        priority_vote(HIGH, 2.5),
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
    phrase_rule(
        [
            r"paliativ\w*",
            r"contorno",
            r"solucao temporaria",
            r"por enquanto",
            r"enquanto isso",
            r"ainda (?:consigo|conseguimos|podemos|da para)",
            r"(?:a|na) mao",
            r"manualmente",
        ],
        priority_vote(MED, 1.0),
    ),
    phrase_rule(
        [
            r"(?:nao ha|sem|nao temos) (?:nenhuma )?(?:alternativa|solucao alternativa|contorno"
            r"|outra forma)",
            r"tem (?:de|que) sair hoje",
            r"(?:prazo|entrega) (?:e |termina |acaba )?hoje",
        ],
        priority_vote(HIGH, 1.5),
    ),
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
        type_vote(INC, 0.5),
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
            r"nao (?:e |eh |seja |parece |esta )?(?:nada |muito |tao )?urgente",
            r"sem pressa",
            r"baixa prioridade",
            r"quando (?:puderem|possivel|tiverem tempo)",
        ],
        priority_vote(LOW, 3.0),
    ),
    phrase_rule(
        [
            r"nao (?:afeta|impacta|atrapalha)",
            r"sem impacto",
            r"continua funcionando",
            r"(?:voltou a funcionar|funciona (?:de novo|novamente)|ja funciona)",
        ],
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
            r"errad[oa]s?",
            r"nao (?:aparece|aparecem|atualiza|atualizam|foi salv\w*|foram salv\w*|sincroniza\w*)",
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
            r"|agendar|arquivar|restaurar|desativar|cadastrar|emitir|enviar|mandar|reenviar"
            r"|reprocessar|executar|incluir|adicionar|remover)"
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
            r"(?:conta|usuario|utilizador) (?:esta |foi |ficou )?bloquead\w*",
            r"desbloque\w*",
        ],
        type_vote(ACC, 2.0),
        priority_vote(MED, 1.5),
        tier_vote(1, 2.0),
    ),
    phrase_rule(
        [
            r"como (?:faco|posso|podemos|fazer|configuro|funciona)",
            r"como (?:\w+ )?(?:configurar|usar|utilizar|alterar|criar|exportar|ver|ativar|definir)",
            r"onde (?:posso|podemos)",
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
        ],
        type_vote(CMP, 3.0),
        priority_vote(MED, 0.8),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            r"ninguem (?:nos )?(?:respondeu|retornou|contactou|ligou)",
            r"ainda (?:nao|sem) (?:resolvid\w*|resposta)",
            r"(?:terceira|quarta) vez",
            r"fechad[oa] sem",
            r"sem (?:resposta|retorno)",
            r"(?:falar com|escalar para|escalado para) (?:um |o |a )?(?:gestor|gerente|supervisor"
            r"|responsavel)",
        ],
        type_vote(CMP, 3.0),
        priority_vote(HIGH, 2.5),
        tier_vote(2, 1.5),
    ),
    phrase_rule(
        [
            r"cobrad[oa]s? (?:em )?duas vezes",
            r"cobranca (?:duplicada|indevida)",
            r"cobrad[oa]s? (?:por|pel[oa]s?|a mais)",
        ],
        type_vote(CMP, 1.5),
        priority_vote(MED, 1.5),
        tier_vote(1, 2.5),
    ),
    phrase_rule(
        [r"segunda via", r"copia d[ae] (?:\w+ )?fatura"],
        type_vote(SRV, 2.0),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [r"orientac\w*", r"o que (?:recomendam|sugerem|aconselham)", r"boas praticas", r"conselho"],
        type_vote(INFO, 2.0),
        priority_vote(MED, 2.0),
    ),
    phrase_rule(
        [r"banco de dados", r"base de dados", r"servidor\w*", r"certificado\w*"],
        tier_vote(3, 1.2),
    ),
    phrase_rule([r"integrac\w*"], tier_vote(3, 3.0)),
    phrase_rule(
        [r"relatorio\w*", r"exportac\w*", r"importac\w*", r"rotina\w*", r"calculo\w*"],
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [r"minha conta", r"impressora\w*", r"impressao"], tier_vote(1, 1.0), priority_vote(LOW, 0.5)
    ),
    # The English table's remaining signals, in Portuguese (gender and plural forms);
    # words spelt the same in English ("manual", "dashboard", "log") are left to that table.
    phrase_rule(
        [r"(?:queda|interrupcao|falha) (?:parcial|regional|local)"],
        priority_vote(HIGH, 3.5),
        type_vote(INC, 2.0),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"(?:funcionalidade|funcao|modulo|processo|tela|ecra)s? "
            r"(?:principa(?:l|is)|essencia(?:l|is)|critic[oa]s?|central|centrais)"
        ],
        priority_vote(HIGH, 2.0),
        type_vote(INC, 0.5),
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"(?:as outras|os outros|as demais|os demais) (?:lojas|regioes|filiais|escritorios"
            r"|armazens|departamentos) (?:estao normais|funcionam|estao a funcionar"
            r"|nao (?:sao|foram|estao) afetad\w*)"
        ],
        priority_vote(HIGH, 2.5),
        priority_vote(CRIT, -2.0),
    ),
    phrase_rule(
        [
            r"(?:os outros|os demais) (?:utilizadores|usuarios|colegas) (?:estao normais"
            r"|funcionam|nao (?:sao|foram|estao) afetad\w*)",
            r"o resto (?:d[ao] \w+ )?(?:funciona|recebe|esta normal)",
        ],
        priority_vote(MED, 1.5),
        priority_vote(CRIT, -2.0),
    ),
    phrase_rule(
        [r"sempre que", r"toda hora", r"o tempo todo", r"varias vezes (?:por|ao) (?:dia|hora)"],
        priority_vote(HIGH, 0.8),
    ),
    phrase_rule(
        [r"nao (?:bloqueia|impede|trava o trabalho)", r"nao e bloqueante"],
        priority_vote(MED, 1.0),
        priority_vote(LOW, 0.5),
    ),
    phrase_rule(
        [
            r"documentac\w*",
            r"manuais",
            r"guia do (?:utilizador|usuario)",
            r"artigo de ajuda",
            r"notas de (?:versao|lancamento)",
            r"base de conhecimento",
        ],
        priority_vote(LOW, 1.5),
        type_vote(INFO, 1.5),
        tier_vote(1, 1.0),
    ),
    phrase_rule(
        [
            r"pergunta rapida",
            r"(?:so|apenas) por curiosidade",
            r"para (?:vossa |sua )?(?:informacao|conhecimento)",
            r"(?:so|apenas) (?:para saber|queria saber)",
        ],
        priority_vote(LOW, 2.0),
        type_vote(INFO, 3.0),
        tier_vote(1, 1.5),
    ),
    phrase_rule(
        [
            r"(?:depois|desde|apos) (?:a |da |o |do )?(?:ultima )?(?:atualizac\w*|versao"
            r"|lancamento|migracao)",
            r"painel",
            r"regressao",
        ],
        tier_vote(2, 1.0),
    ),
    phrase_rule(
        [
            r"fuso horario",
            r"idioma",
            r"nome de exibicao",
            r"navegador",
            r"(?:limpar|apagar) (?:a |o )?cache",
            r"impressora\w*",
            r"imprimir",
            r"morada de faturacao|endereco de cobranca",
        ],
        tier_vote(1, 1.0),
        priority_vote(LOW, 0.5),
    ),
)

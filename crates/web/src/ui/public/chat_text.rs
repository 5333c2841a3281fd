//! The web chat's interface text: the demo site page, the answers of `/chat/start`, and the
//! agents' page (the widget carries its own few words in both languages).

use crate::i18n::Entry;

#[rustfmt::skip]
pub(crate) const CHAT_TEXT: &[Entry] = &[
    ("nav.chats", "在线咨询", "Web chats"),
    ("chat.field.name", "称呼", "Your name"),
    ("chat.field.phone", "手机号码", "Mobile number"),
    ("chat.field.message", "咨询内容", "Your question"),
    ("chat.bad_request", "请求格式不正确，请刷新页面后重试。", "The request was malformed: reload the page and try again."),
    ("chat.demo.title", "欢迎来到我们的旅行社", "Welcome to our travel agency"),
    ("chat.demo.lead", "这是旅行社官网的示例页面：右下角的“在线咨询”就是 tripdesk 的网页聊天插件。", "This is a sample page of the agency's own site: the “Chat with us” button at the bottom right is tripdesk's web chat widget."),
    ("chat.demo.item1", "大理双廊海景民宿 · 洱海日出", "Dali Shuanglang lakeside homestay · sunrise over Erhai"),
    ("chat.demo.item2", "三亚五日亲子游 · 每周六出发", "Sanya family trip, five days · departs every Saturday"),
    ("chat.demo.item3", "黄山西海大峡谷徒步 · 两日", "Huangshan West Sea Grand Canyon hike · two days"),
    ("chat.demo.hint", "把下面这一行放进任何页面即可启用在线咨询：", "Put this one line on any page to offer the chat:"),
    ("chat.demo.embed_host", "https://desk.example.com", "https://desk.example.com"),
    ("chat.agent.hint", "访客在官网点击“在线咨询”后出现在这里。3 分钟内无人接待的对话会自动转为工单并告知访客。可同时接待多个对话；Ctrl+Enter 发送。", "Visitors who click “Chat with us” on the site appear here. A chat no one answers within 3 minutes becomes a ticket and the visitor is told. Handle several at once; Ctrl+Enter sends."),
    ("chat.agent.connecting", "正在连接…", "Connecting…"),
    ("chat.agent.online", "实时在线", "Live"),
    ("chat.agent.offline", "连接中断，正在重连…", "Disconnected, reconnecting…"),
    ("chat.agent.waiting", "等待接待", "Waiting"),
    ("chat.agent.mine", "我的对话", "My chats"),
    ("chat.agent.none", "暂无", "None"),
    ("chat.agent.panels", "已打开的对话", "Open chats"),
    ("chat.agent.take", "接待", "Answer"),
    ("chat.agent.open", "打开", "Open"),
    ("chat.agent.left", "剩余 {t}", "{t} left"),
    ("chat.agent.late", "已超时", "Overdue"),
    ("chat.agent.send", "发送", "Send"),
    ("chat.agent.end", "结束对话", "End chat"),
    ("chat.agent.hide", "收起", "Hide"),
    ("chat.agent.template", "插入回复模板…", "Insert a reply template…"),
    ("chat.agent.placeholder", "回复访客…", "Reply to the visitor…"),
    ("chat.agent.visitor", "访客", "Visitor"),
    ("chat.agent.agent", "客服", "Agent"),
    ("chat.agent.system", "系统", "System"),
    ("chat.state.waiting", "等待接待", "Waiting"),
    ("chat.state.active", "接待中", "Active"),
    ("chat.state.ended", "已结束", "Ended"),
    ("chat.state.ticketed", "已转工单", "Became a ticket"),
];

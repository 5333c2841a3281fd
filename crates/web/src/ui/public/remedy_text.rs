//! The interface text of a customer's choice of refund or postponement (`/r/<token>`), and
//! the sentences of the remedies' refusals (zh-CN, en): this capability's slice of the one
//! table [`crate::i18n`] reads.

use crate::i18n::Entry;

pub(crate) const REMEDY_TEXT: &[Entry] = &[
    ("public.remedy.title", "退款或延期", "Refund or postponement"),
    (
        "public.remedy.lead",
        "受此突发事件（不可抗力）影响，您可以为下列订单选择全额退款或延期。",
        "Because of this emergency (force majeure), you may choose a full refund or a postponement for each booking below.",
    ),
    ("public.remedy.booking", "订单", "Booking"),
    ("public.remedy.refund", "全额退款", "Full refund"),
    ("public.remedy.refund_amount", "退还", "We refund"),
    (
        "public.remedy.refund_hint",
        "订单将取消，款项于 5 个工作日内原路退还。",
        "The booking is cancelled and the money goes back within 5 working days.",
    ),
    ("public.remedy.postpone", "延期", "Postponement"),
    ("public.remedy.credit", "转入新日期", "Carried over to the new date"),
    ("public.remedy.free", "按您订单的条款免费延期。", "Free under your booking's terms."),
    (
        "public.remedy.not_free",
        "按您订单的条款，因改期增加的费用由您承担，以新日期的报价为准。",
        "Under your booking's terms, extra costs of the new date are yours, as quoted for it.",
    ),
    (
        "public.remedy.postpone_hint",
        "客服会与您联系，确定新的日期。",
        "Our staff will contact you to agree the new date.",
    ),
    ("public.remedy.choose_refund", "选择全额退款", "Choose the refund"),
    ("public.remedy.choose_postpone", "选择延期", "Choose to postpone"),
    (
        "public.remedy.final",
        "每个订单只能选择一次，选择后不能更改；如需帮助请致电客服。",
        "You choose once for each booking, and the choice cannot be changed; call us if you need help.",
    ),
    ("public.remedy.thanks", "已收到您的选择，谢谢。", "We have your choice, thank you."),
    ("public.remedy.chosen_refund", "已选择：全额退款", "Chosen: full refund"),
    (
        "public.remedy.refund_due",
        "退还 {amount}，最迟于 {due} 前退还。",
        "{amount} will be refunded by {due}.",
    ),
    ("public.remedy.chosen_postpone", "已选择：延期", "Chosen: postponement"),
    (
        "public.remedy.postpone_next",
        "客服会与您联系，确定新的日期。",
        "Our staff will contact you to agree the new date.",
    ),
    (
        "public.remedy.withdrawn",
        "该订单已取消，无需再选择。",
        "This booking was cancelled; there is nothing to choose.",
    ),
    (
        "public.remedy.call_us",
        "该订单已无法在线选择（行程已开始或已结束），请致电客服办理。",
        "This booking can no longer be chosen online (the trip has started or ended); please call us.",
    ),
    ("public.remedy.choose", "请选择“全额退款”或“延期”。", "Choose the refund or the postponement."),
    ("public.remedy.invalid_title", "链接无效", "Link not valid"),
    (
        "public.remedy.invalid",
        "该链接无效，请使用短信或邮件中的完整链接，或致电客服。",
        "This link is not valid; use the whole link from the message, or call us.",
    ),
    (
        "error.code.remedy.already_chosen",
        "该订单已经选择过，选择后不能更改；如需帮助请致电客服。",
        "A choice was made for this booking already, and it cannot be changed; call us if you need help.",
    ),
    (
        "error.code.remedy.withdrawn",
        "该订单已取消，退款或延期的选择已撤回。",
        "The booking was cancelled: the refund or postponement offer was withdrawn.",
    ),
    (
        "error.code.remedy.booking_closed",
        "该订单已结束，不能再选择退款或延期。",
        "The booking has ended: no refund or postponement can be chosen.",
    ),
    (
        "error.code.remedy.started",
        "行程或入住已经开始，请致电客服办理退款或延期。",
        "The trip or stay has started: call us to settle a refund or postponement.",
    ),
    (
        "error.code.incident.drill",
        "演练不能发出退款或延期方案：客户的选择会改动真实的订单。",
        "A drill offers no refund or postponement: a customer's choice would change a real booking.",
    ),
];

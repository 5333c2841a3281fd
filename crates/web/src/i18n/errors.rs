//! The one path by which a use case's refusal reaches a person: a field's error by its code
//! (`err.<code>`, with the label the form shows), any other `AppError` by its code
//! (`error.code.<code>`) or its kind — never the use case's English sentence in the Chinese
//! interface.

use super::{Entry, Lang, Tr};

/// The label of a form field (`field.<name>` without a trailing `_id`), or the name itself.
pub fn field_label(t: Tr, field: &str) -> String {
    let key = format!("field.{}", field.trim_end_matches("_id"));
    if Tr::has(&key) {
        t.s(&key).to_string()
    } else {
        field.to_string()
    }
}

/// A use case's field error as the staff interface shows it. In Chinese: the field's label and
/// the meaning of its stable code (`required`, `too_long`…). In English, and for a code
/// without a translation, the use case's own sentence, which already names the field.
pub fn field_error(t: Tr, f: &tripdesk_app::FieldError) -> String {
    field_error_as(t, f, &field_label(t, &f.field))
}

/// [`field_error`] naming the field by `label`: the label the form itself shows (a form
/// says 主题 where the shared label says 标题).
pub fn field_error_as(t: Tr, f: &tripdesk_app::FieldError, label: &str) -> String {
    let key = format!("err.{}", f.code);
    if t.0 == Lang::En || !Tr::has(&key) {
        return f.message.clone();
    }
    t.s(&key).replace("{label}", label)
}

/// A use case's refusal in the reader's language: its stable code's text when there is one,
/// else what its kind means (a field error's own translation, a generic conflict). The one
/// path by which a page or a form says why something was not done; the English sentence of
/// the use case only ever reaches the English interface, and only for a code without text.
pub fn app_error(t: Tr, e: &tripdesk_app::AppError) -> String {
    use tripdesk_app::AppError;
    let by_code = |code: &str, fallback: &str, message: &str| -> String {
        let key = format!("error.code.{code}");
        if Tr::has(&key) {
            t.s(&key).to_string()
        } else if t.0 == Lang::En && !message.is_empty() {
            message.to_string()
        } else {
            t.s(fallback).to_string()
        }
    };
    match e {
        AppError::Validation(fields) if !fields.is_empty() => field_errors(t, fields).join(" "),
        AppError::Validation(_) => t.s("error.invalid").to_string(),
        AppError::Unauthenticated(_) => t.s("error.unauthenticated").to_string(),
        AppError::Forbidden(_) => t.s("error.step_forbidden").to_string(),
        AppError::NotFound(_) => t.s("error.not_found").to_string(),
        AppError::Conflict { code, message, .. } => by_code(code, "error.conflict", message),
        AppError::SoldOut { message, .. } => by_code("sold_out", "error.conflict", message),
        AppError::InvalidTransition { allowed, .. } => {
            let mut text = t.s("error.invalid_transition").to_string();
            let steps: Vec<&str> = allowed
                .iter()
                .map(|s| {
                    let key = format!("desk.step.{s}");
                    if Tr::has(&key) {
                        t.s(&key)
                    } else {
                        s
                    }
                })
                .collect();
            if !steps.is_empty() {
                text.push(' ');
                text.push_str(
                    &t.s("error.allowed_steps")
                        .replace("{steps}", &t.list(&steps)),
                );
            }
            text
        }
        AppError::Throttled { retry_after_secs } => t
            .s("error.throttled")
            .replace("{n}", &retry_after_secs.to_string()),
        AppError::Unavailable(_) => t.s("error.unavailable").to_string(),
        AppError::Internal(_) => t.s("error.internal").to_string(),
    }
}

/// Every field error of a failed form, as [`field_error`] shows each.
pub fn field_errors(t: Tr, fields: &[tripdesk_app::FieldError]) -> Vec<String> {
    fields.iter().map(|f| field_error(t, f)).collect()
}

/// The texts of field errors (`err.<code>`, with `{label}`) and of the fields they name that
/// no page labels elsewhere: kept beside the one path that shows them.
pub(super) const FIELD_ERROR_TEXT: &[Entry] = &[
    // Field errors in the staff interface (`field_error`): the code's meaning, with the label.
    // The domain's document codes without a sentence of their own elsewhere.
    (
        "err.id_document.kind",
        "未知的证件类型。",
        "Unknown identity document kind.",
    ),
    (
        "err.id_document.empty",
        "请填写证件号码。",
        "The document number is empty.",
    ),
    (
        "err.passport.format",
        "护照号码应为 5 到 20 位字母或数字。",
        "A passport number has 5 to 20 letters or digits.",
    ),
    (
        "err.hk_macao_permit.format",
        "港澳通行证号码应为 H 或 M 开头，后接 8 或 10 位数字。",
        "A Hong Kong/Macao permit number is H or M followed by 8 or 10 digits.",
    ),
    (
        "err.taiwan_permit.format",
        "台湾通行证号码应为 8 或 10 位数字。",
        "A Taiwan permit number has 8 or 10 digits.",
    ),
    (
        "err.self",
        "{label}：不能对自己的账号做这项更改。",
        "{label}: you cannot make this change to your own account.",
    ),
    (
        "err.username_taken",
        "{label}：该用户名已被使用。",
        "{label}: that username is taken.",
    ),
    (
        "err.gateway_taken",
        "{label}：已有同名的支付网关。",
        "{label}: a gateway of that name exists.",
    ),
    (
        "err.sms_not_configured",
        "本服务器未配置短信服务商（sms_base_url），短信不会发出。",
        "SMS is not configured on this server (sms_base_url): the message would never leave.",
    ),
    (
        "err.no_phone",
        "{label}：短信须发给登记了手机号的客户（填写客户编号）。",
        "{label}: an SMS goes to a customer id whose record holds a phone.",
    ),
    (
        "err.holiday_year_exists",
        "{label}：该年度的节假日安排已存在。",
        "{label}: that year's holiday arrangement exists already.",
    ),
    (
        "err.department_code_taken",
        "{label}：已有部门使用这个代码。",
        "{label}: another department already has this code.",
    ),
    // The customer import's header and file (`tripdesk_app::import`).
    (
        "err.unknown_column",
        "{label}：有一列的标题不认识；可用的列见上方说明。",
        "{label}: a column heading is not known; the columns are listed above.",
    ),
    (
        "err.duplicate_column",
        "{label}：有一列出现了两次。",
        "{label}: a column appears twice.",
    ),
    (
        "err.missing_column",
        "{label}：缺少必需的列（姓名）。",
        "{label}: a required column (name) is missing.",
    ),
    (
        "err.unreadable",
        "{label}：无法读取，请上传 CSV 或 Excel（.xlsx）文件。",
        "{label}: it cannot be read; give a CSV or Excel (.xlsx) file.",
    ),
    // A broadcast's text or template (`tripdesk_app::emergency::check_broadcast_text`).
    (
        "err.unknown_placeholder",
        "{label}：含有群发不支持的占位符，只能使用 {{ title }}、{{ region }}、{{ link }}、{{ keywords }}、{{ drill }}。",
        "{label}: a placeholder a broadcast does not know; use {{ title }}, {{ region }}, {{ link }}, {{ keywords }}, {{ drill }}.",
    ),
    (
        "err.missing_link",
        "{label}：必须包含平安确认链接 {{ link }}。",
        "{label}: must carry the check-in link {{ link }}.",
    ),
    // A calendar's own codes (`tripdesk_app::calendar`).
    (
        "err.calendar.bad_hours",
        "{label}：工作时间应写成 09:00-18:00，多段用逗号分隔。",
        "{label}: write working hours as 09:00-18:00, several with commas.",
    ),
    (
        "err.unknown_zone",
        "{label}：不是 IANA 时区，例如 Asia/Shanghai。",
        "{label}: not an IANA time zone such as Asia/Shanghai.",
    ),
    (
        "err.calendar_name_taken",
        "{label}：已有同名日历。",
        "{label}: a calendar has this name already.",
    ),
    ("err.required", "请填写{label}。", "{label} is required."),
    (
        "err.too_long",
        "{label}太长了，请精简。",
        "{label} is too long.",
    ),
    (
        "err.length",
        "{label}的长度不符合要求。",
        "{label} has the wrong length.",
    ),
    (
        "err.invalid",
        "{label}的格式或取值不正确。",
        "{label} is not valid.",
    ),
    (
        "err.unknown",
        "{label}：找不到对应的记录。",
        "{label}: no such record.",
    ),
    (
        "err.range",
        "{label}超出了允许的范围。",
        "{label} is out of range.",
    ),
    ("err.too_many", "{label}太多了。", "Too many {label}."),
    ("err.same", "{label}与原来相同。", "{label} is unchanged."),
    (
        "err.unchanged",
        "{label}没有变化。",
        "{label} is unchanged.",
    ),
    (
        "err.weak",
        "{label}不够安全，请换一个更长、更不常见的。",
        "{label} is too weak.",
    ),
    (
        "err.outside_window",
        "{label}不在回访时间窗口内（以工作日计）。",
        "{label} is outside the follow-up window.",
    ),
    (
        "err.not_follow_up",
        "{label}：此人不是回访人员。",
        "{label}: not a member of the follow-up team.",
    ),
    // The identifiers' own codes (`phone.unreadable`…), from the domain's validators.
    ("err.phone.empty", "请填写{label}。", "{label} is required."),
    (
        "err.phone.unreadable",
        "{label}无法识别：请填写大陆手机号，或以 + 加国家/地区代码开头。",
        "{label} could not be read: give a mainland number or + and the country code.",
    ),
    (
        "err.phone.invalid",
        "{label}不是有效的号码，请核对。",
        "{label} is not a number in use.",
    ),
    (
        "err.phone.extension",
        "{label}不能带分机号。",
        "{label} may not have an extension.",
    ),
    ("err.email.empty", "请填写{label}。", "{label} is required."),
    (
        "err.email.too_long",
        "{label}太长（最多 254 个字符）。",
        "{label} is longer than 254 characters.",
    ),
    (
        "err.email.invalid",
        "{label}格式不正确，应类似 name@example.com。",
        "{label} is not of the form name@example.com.",
    ),
    (
        "err.resident_id.empty",
        "请填写{label}。",
        "{label} is required.",
    ),
    (
        "err.resident_id.length",
        "{label}应为 18 位。",
        "{label} has exactly 18 characters.",
    ),
    (
        "err.resident_id.character",
        "{label}应为 17 位数字加 1 位数字或 X。",
        "{label} is 17 digits followed by a digit or X.",
    ),
    (
        "err.resident_id.region",
        "{label}的前 6 位不是已知的地区代码。",
        "{label} does not start with a known region code.",
    ),
    (
        "err.resident_id.birth_date",
        "{label}中的出生日期（第 7 至 14 位）不是有效日期。",
        "{label}: the birth date (characters 7 to 14) is not a real date.",
    ),
    (
        "err.resident_id.birth_date_future",
        "{label}中的出生日期（第 7 至 14 位）晚于今天。",
        "{label}: the birth date (characters 7 to 14) is in the future.",
    ),
    (
        "err.resident_id.check_character",
        "{label}的校验位不符，可能有输入错误，请核对。",
        "{label}: the check character does not match; probably a typo.",
    ),
    (
        "err.wechat.invalid",
        "{label}应为 6 至 20 位字母、数字、_ 或 -，以字母开头。",
        "{label} has 6 to 20 letters, digits, _ or -, starting with a letter.",
    ),
    ("field.customer.name", "客户姓名", "Customer name"),
    ("field.customer.phone", "客户电话", "Customer phone"),
    ("field.customer.email", "客户邮箱", "Customer email"),
    ("field.customer.contact", "联系方式", "Contact"),
    ("field.customer", "客户", "Customer"),
    ("field.tags", "标签", "Tags"),
    ("field.booking_ref", "关联订单或行程", "Booking or trip"),
    ("field.business_area", "业务领域", "Business area"),
    ("field.reason", "原因", "Reason"),
    ("field.note", "备注", "Note"),
    ("field.scheduled_at", "计划回访时间", "Planned visit"),
    ("field.assignee", "处理人", "Assignee"),
    ("field.group", "处理组", "Handling group"),
    ("field.level", "等级", "Level"),
    ("field.satisfaction", "满意度", "Satisfaction"),
    ("field.overall_rating", "总体评价", "Overall rating"),
    ("field.suggestions", "建议", "Suggestions"),
    ("field.improvements", "改进措施", "Improvements"),
    (
        "field.responsible_department",
        "责任部门",
        "Responsible department",
    ),
    ("field.keywords", "关键词", "Keywords"),
    ("field.priority", "优先级", "Priority"),
    ("field.name", "名称", "Name"),
    ("field.file", "文件", "File"),
    // Issue 11 (websec): typed text refused by `tripdesk_domain::text`, field by field.
    (
        "err.line_break",
        "{label}只能填写一行（不能换行）。",
        "{label} must be on one line.",
    ),
    (
        "err.control_character",
        "{label}含有不可见的控制字符，请删除后再试。",
        "{label} contains control characters; please remove them.",
    ),
    (
        "err.bidi_control",
        "{label}含有改变文字方向的控制字符（如 U+202E），请删除后再试。",
        "{label} contains text-direction control characters (such as U+202E); please remove them.",
    ),
];

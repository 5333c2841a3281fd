//! The interface text of arrival at the front desk (zh-CN, en): the arrivals list, a booking's
//! arrival panel, and the arrival rules' refusals (`error.code.booking.*`, read by
//! [`crate::i18n::app_error`]). A slice of its own beside [`super::text`].

use crate::i18n::Entry;

pub(crate) const ARRIVAL_TEXT: &[Entry] = &[
    ("bookings.nav.arrivals", "今日到店", "Today's arrivals"),
    ("bookings.arrivals.title", "今日到店", "Today's arrivals"),
    ("bookings.arrivals.title_on", "{date} 到店", "Arrivals on {date}"),
    ("bookings.arrivals.days", "日期", "Days"),
    ("bookings.arrivals.date", "入住日期", "Check-in day"),
    ("bookings.arrivals.prev", "前一天", "Previous day"),
    ("bookings.arrivals.next", "后一天", "Next day"),
    ("bookings.arrivals.empty", "这一天没有入住的预订。", "No booking checks in on this day."),
    ("bookings.arrivals.room", "房间", "Room"),
    ("bookings.arrivals.guest", "客人", "Guest"),
    ("bookings.arrivals.stay", "入住–离店", "Stay"),
    ("bookings.arrivals.arrived", "到店", "Arrived"),
    ("bookings.arrivals.registration", "入住登记", "Registration"),
    ("bookings.arrivals.actions", "操作", "Actions"),
    ("bookings.arrival.heading", "到店与入住登记", "Arrival and registration"),
    ("bookings.arrival.arrive", "到店", "Guests arrived"),
    ("bookings.arrival.register", "完成登记", "Registration done"),
    ("bookings.arrival.welcome_pack", "欢迎礼包已发", "Welcome pack given"),
    ("bookings.arrival.arrived_at", "到店时间", "Arrived at"),
    ("bookings.arrival.registered_at", "登记完成", "Registered at"),
    ("bookings.arrival.not_arrived", "未到店", "Not arrived"),
    ("bookings.arrival.not_registered", "未登记", "Not registered"),
    ("bookings.arrival.registered", "已登记", "Registered"),
    ("bookings.arrival.pack", "欢迎礼包", "Welcome pack"),
    ("bookings.arrival.pack_given", "已发", "Given"),
    ("bookings.arrival.pack_not_given", "未发", "Not given"),
    ("bookings.arrival.clock", "登记时限（5 分钟）", "Registration limit (5 min)"),
    ("bookings.arrival.met", "按时完成，用时 {t}", "Done in time, took {t}"),
    ("bookings.arrival.late", "超时完成，用时 {t}", "Done late, took {t}"),
    ("bookings.arrival.no_clock", "未计时", "Not timed"),
    (
        "bookings.arrival.hint",
        "客人到店后请在 5 分钟内完成入住登记，并发放欢迎礼包。",
        "Complete the registration within 5 minutes of the guests' arrival, and give the welcome pack.",
    ),
    (
        "bookings.arrival.window",
        "可从入住日（{from}）起办理到店，直到离店前一天。",
        "The arrival can be recorded from the check-in day ({from}) until the day before check-out.",
    ),
    ("bookings.flash.arrived", "已记录到店，登记计时开始（5 分钟）。", "Arrival recorded; the 5-minute registration clock is running."),
    ("bookings.flash.registered", "入住登记已完成。", "Registration completed."),
    ("error.code.booking.not_lodging", "该预订没有客房，无需办理到店。", "This booking has no room: there is no arrival."),
    (
        "error.code.booking.not_confirmed",
        "预订尚未确认或已结束，不能办理到店或登记。",
        "The booking is not confirmed (or has ended): no arrival or registration.",
    ),
    (
        "error.code.booking.before_check_in",
        "还没到入住日，不能办理到店。客人提前到达请先变更预订日期。",
        "It is before the check-in day. For guests arriving early, change the booking's dates first.",
    ),
    ("error.code.booking.after_check_out", "已到离店日，不能再办理到店。", "The check-out day has come: too late for an arrival."),
    ("error.code.booking.already_arrived", "已记录过到店。", "The arrival is already recorded."),
    ("error.code.booking.not_arrived", "客人尚未到店，请先办理“到店”。", "The guests have not arrived: record the arrival first."),
    ("error.code.booking.already_registered", "入住登记已经完成。", "The registration is already completed."),
];

#[cfg(test)]
mod tests {
    use crate::i18n::Tr;

    /// Every refusal of the arrival rules has its sentence in both languages.
    #[test]
    fn every_arrival_refusal_has_its_text() {
        for code in tripdesk_domain::bookings::ArrivalError::CODES {
            assert!(Tr::has(&format!("error.code.{code}")), "{code}");
        }
    }
}

//! The refund-payment deadline (issue 14 item 6): an approved refund is paid within
//! 5 working days. The figure is the SLA clock's; the working-day arithmetic is the
//! calendar's ([`Calendar::add_working_days`]), not repeated here.

use jiff::Timestamp;

use crate::calendar::{Calendar, CalendarError};

/// Working days within which a refund is paid (issue 14: "must be paid within 5 working
/// days"), counted on the office calendar (China working days, make-up days included).
pub const REFUND_PAYMENT_WORKING_DAYS: u32 = 5;

/// The SLA target key the refund-payment clock runs under (kind `working_days`, amount
/// [`REFUND_PAYMENT_WORKING_DAYS`], calendar [`Calendar::CHINA_MAINLAND_OFFICE`]).
pub const REFUND_PAYMENT_TARGET: &str = "refund.payment";

/// When a refund approved at `approved_at` must have been paid: the same local time on the
/// 5th working day after (the approval day itself does not count).
pub fn refund_payment_due(
    calendar: &Calendar,
    approved_at: Timestamp,
) -> Result<Timestamp, CalendarError> {
    calendar.add_working_days(approved_at, REFUND_PAYMENT_WORKING_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sla_target_carries_the_same_figure() {
        let t = crate::sla::SlaTarget::default_for(REFUND_PAYMENT_TARGET).unwrap();
        assert_eq!(t.kind, crate::sla::ClockKind::WorkingDays);
        assert_eq!(t.amount, REFUND_PAYMENT_WORKING_DAYS);
        assert_eq!(t.calendar, Calendar::CHINA_MAINLAND_OFFICE);
    }

    #[test]
    fn five_working_days_skip_the_national_day_holiday() {
        let office = Calendar::china_mainland_office();
        // Approved Tuesday 2025-09-30 17:00 Beijing (09:00 UTC). 1–8 October are holidays;
        // 9, 10, 11 (make-up Saturday), 13, 14 October are the five working days.
        let at: Timestamp = "2025-09-30T09:00:00Z".parse().unwrap();
        assert_eq!(
            refund_payment_due(&office, at).unwrap().to_string(),
            "2025-10-14T09:00:00Z"
        );
        assert_eq!(
            office.working_days_between(at, refund_payment_due(&office, at).unwrap()),
            Ok(5)
        );
    }

    #[test]
    fn an_ordinary_week() {
        let office = Calendar::china_mainland_office();
        // Monday 2026-03-02 10:00 Beijing → Monday 2026-03-09 10:00.
        let at: Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
        assert_eq!(
            refund_payment_due(&office, at).unwrap().to_string(),
            "2026-03-09T02:00:00Z"
        );
    }
}

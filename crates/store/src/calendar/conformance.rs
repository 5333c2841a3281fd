//! Conformance of the calendar repository: calendars and their holiday years.

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! calendar_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            calendars_and_years);
    };
}

use crate::conformance::t;
use crate::*;
use uuid::Uuid;

pub(crate) fn office_calendar(name: &str) -> CalendarRecord {
    let now = t("2026-01-05T01:00:00Z");
    let cal = tripdesk_domain::calendar::Calendar::china_mainland_office();
    CalendarRecord {
        id: Uuid::now_v7(),
        name: name.into(),
        zone: "Asia/Shanghai".into(),
        mode: cal.mode(),
        weekly: cal.weekly_hours().clone(),
        make_up_hours: cal.make_up_hours().to_vec(),
        description: "办公时间".into(),
        revision: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Calendars: unique names, holiday years round-trip with their festivals in order, the
/// revision moves with every change, deletes take the years along.
pub async fn calendars_and_years(store: &dyn Store) {
    use tripdesk_domain::calendar::HolidaySet;
    let shipped = HolidaySet::china_mainland();
    let y2025 = shipped.year(2025).unwrap().clone();
    let y2026 = shipped.year(2026).unwrap().clone();
    let at = t("2026-01-06T00:00:00Z");
    let mut cal = office_calendar("cn-test");
    let mut tx = store.write().await.unwrap();
    tx.insert_calendar(&cal).await.unwrap();
    assert!(!tx
        .insert_calendar_if_absent(&office_calendar("cn-test"))
        .await
        .unwrap());
    assert!(tx
        .put_holiday_year(cal.id, &y2026, false, at)
        .await
        .unwrap());
    assert!(tx
        .put_holiday_year(cal.id, &y2025, false, at)
        .await
        .unwrap());
    assert!(
        !tx.put_holiday_year(cal.id, &y2025, false, at)
            .await
            .unwrap(),
        "an existing year is kept unless replaced"
    );
    assert!(tx.put_holiday_year(cal.id, &y2025, true, at).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let dup = tx.insert_calendar(&office_calendar("cn-test")).await;
    assert!(matches!(dup, Err(StoreError::Duplicate { .. })), "{dup:?}");
    drop(tx);

    let mut r = store.read().await.unwrap();
    let got = r.get_calendar_by_name("cn-test").await.unwrap().unwrap();
    assert_eq!(got.revision, 4, "three year writes bumped the revision");
    assert_eq!(got.weekly, cal.weekly);
    assert_eq!(got.mode, cal.mode);
    assert_eq!(
        r.holiday_years(cal.id).await.unwrap(),
        vec![y2025.clone(), y2026.clone()]
    );
    let summaries = r.holiday_year_summaries(cal.id).await.unwrap();
    assert_eq!(
        summaries
            .iter()
            .map(|s| (s.year, s.holidays, s.make_up_days))
            .collect::<Vec<_>>(),
        vec![
            (2025, 28, 5),
            (
                2026,
                y2026.holidays().len() as u32,
                y2026.make_up_days().len() as u32
            )
        ]
    );
    assert!(r.get_calendar_by_name("nope").await.unwrap().is_none());
    drop(r);

    let mut tx = store.write().await.unwrap();
    cal.revision = got.revision;
    cal.description = "改过".into();
    assert!(tx.update_calendar(&cal).await.unwrap());
    assert!(
        !tx.update_calendar(&cal).await.unwrap(),
        "an update naming a stale revision is refused"
    );
    assert!(tx.delete_holiday_year(cal.id, 2025, at).await.unwrap());
    assert!(!tx.delete_holiday_year(cal.id, 2025, at).await.unwrap());
    assert_eq!(tx.holiday_years(cal.id).await.unwrap(), vec![y2026]);
    let other = office_calendar("homestay");
    tx.insert_calendar(&other).await.unwrap();
    assert_eq!(
        tx.list_calendars()
            .await
            .unwrap()
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["cn-test", "homestay"]
    );
    assert!(tx.delete_calendar(cal.id).await.unwrap());
    assert!(!tx.delete_calendar(cal.id).await.unwrap());
    assert!(tx.holiday_years(cal.id).await.unwrap().is_empty());
    tx.commit().await.unwrap();
}

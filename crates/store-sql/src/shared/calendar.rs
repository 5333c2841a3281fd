// Calendar repository, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.
// (This file is not a module of its own; see the crate documentation.)

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, ts};
use jiff::civil::{Date, Weekday};
use jiff::Timestamp;
use sqlx::Row;
use tripdesk_domain::calendar::{
    format_ranges, parse_ranges, CalendarMode, Festival, WeeklyHours, YearHolidays,
};
use tripdesk_store::signal::Topic;
use tripdesk_store::{CalendarRecord, CalendarRepo, HolidayYearSummary, StoreError};
use uuid::Uuid;

const CALENDAR_COLUMNS: &str = "id, name, zone, mode, hours_mon, hours_tue, hours_wed, \
    hours_thu, hours_fri, hours_sat, hours_sun, hours_make_up, description, revision, \
    created_at, updated_at";

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "hours_mon"),
    (Weekday::Tuesday, "hours_tue"),
    (Weekday::Wednesday, "hours_wed"),
    (Weekday::Thursday, "hours_thu"),
    (Weekday::Friday, "hours_fri"),
    (Weekday::Saturday, "hours_sat"),
    (Weekday::Sunday, "hours_sun"),
];

fn corrupt(what: &str) -> impl Fn(tripdesk_domain::calendar::CalendarError) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

fn calendar_from_row(row: &<Db as sqlx::Database>::Row) -> Result<CalendarRecord, StoreError> {
    let mut weekly = WeeklyHours::closed();
    for (day, col) in WEEKDAYS {
        let text: String = row.try_get(col).map_err(err)?;
        weekly = weekly
            .with_day(day, parse_ranges(&text).map_err(corrupt("calendar hours"))?)
            .map_err(corrupt("calendar hours"))?;
    }
    let mode: String = row.try_get("mode").map_err(err)?;
    let make_up: String = row.try_get("hours_make_up").map_err(err)?;
    Ok(CalendarRecord {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        name: row.try_get("name").map_err(err)?,
        zone: row.try_get("zone").map_err(err)?,
        mode: CalendarMode::parse(&mode)
            .ok_or_else(|| StoreError::Corrupt("unknown calendar mode".into()))?,
        weekly,
        make_up_hours: parse_ranges(&make_up).map_err(corrupt("make-up hours"))?,
        description: row.try_get("description").map_err(err)?,
        revision: row.try_get("revision").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
    })
}

fn insert_calendar_sql(on_conflict: &str) -> String {
    format!(
        "INSERT INTO calendars ({CALENDAR_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16){on_conflict}"
    )
}

fn parse_day(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt("calendar day is not a date".into()))
}

impl SqlTx {
    async fn write_calendar(&mut self, cal: &CalendarRecord, sql: &str) -> Result<u64, StoreError> {
        let mut q = sqlx::query(sql)
            .bind(cal.id.to_string())
            .bind(&cal.name)
            .bind(&cal.zone)
            .bind(cal.mode.as_str());
        for (day, _) in WEEKDAYS {
            q = q.bind(format_ranges(cal.weekly.on(day)));
        }
        let done = q
            .bind(format_ranges(&cal.make_up_hours))
            .bind(&cal.description)
            .bind(cal.revision)
            .bind(ms(cal.created_at))
            .bind(ms(cal.updated_at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        self.note_signal(Topic::Config, None);
        Ok(done.rows_affected())
    }

    async fn bump_revision(&mut self, calendar_id: Uuid, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE calendars SET revision = revision + 1, updated_at = $2 WHERE id = $1")
            .bind(calendar_id.to_string())
            .bind(ms(at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        self.note_signal(Topic::Config, None);
        Ok(())
    }
}

#[async_trait::async_trait]
impl CalendarRepo for SqlTx {
    async fn insert_calendar(&mut self, cal: &CalendarRecord) -> Result<(), StoreError> {
        self.write_calendar(cal, &insert_calendar_sql("")).await?;
        Ok(())
    }

    async fn insert_calendar_if_absent(
        &mut self,
        cal: &CalendarRecord,
    ) -> Result<bool, StoreError> {
        let n = self
            .write_calendar(cal, &insert_calendar_sql(" ON CONFLICT (name) DO NOTHING"))
            .await?;
        Ok(n == 1)
    }

    async fn update_calendar(&mut self, cal: &CalendarRecord) -> Result<bool, StoreError> {
        // Same bind order as the insert; name and created_at are not changed.
        let sql = "UPDATE calendars SET zone = $3, mode = $4, hours_mon = $5, hours_tue = $6, \
             hours_wed = $7, hours_thu = $8, hours_fri = $9, hours_sat = $10, hours_sun = $11, \
             hours_make_up = $12, description = $13, revision = revision + 1, updated_at = $16 \
             WHERE id = $1 AND name = $2 AND revision = $14 AND created_at = $15";
        Ok(self.write_calendar(cal, sql).await? == 1)
    }

    async fn delete_calendar(&mut self, id: Uuid) -> Result<bool, StoreError> {
        // Days reference years, years reference the calendar; delete from the leaves so
        // both backends behave the same whatever their cascade order.
        for sql in [
            "DELETE FROM calendar_days WHERE calendar_id = $1",
            "DELETE FROM calendar_years WHERE calendar_id = $1",
            "DELETE FROM calendar_year_warnings WHERE calendar_id = $1",
        ] {
            sqlx::query(sql)
                .bind(id.to_string())
                .execute(self.db().await?)
                .await
                .map_err(err)?;
        }
        let done = sqlx::query("DELETE FROM calendars WHERE id = $1")
            .bind(id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        self.note_signal(Topic::Config, None);
        Ok(done.rows_affected() == 1)
    }

    async fn get_calendar_by_name(
        &mut self,
        name: &str,
    ) -> Result<Option<CalendarRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CALENDAR_COLUMNS} FROM calendars WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(calendar_from_row).transpose()
    }

    async fn list_calendars(&mut self) -> Result<Vec<CalendarRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CALENDAR_COLUMNS} FROM calendars ORDER BY name"
        ))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(calendar_from_row).collect()
    }

    async fn claim_holiday_warning(
        &mut self,
        calendar_id: Uuid,
        year: i16,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO calendar_year_warnings (calendar_id, year, warned_at) \
             VALUES ($1, $2, $3) ON CONFLICT (calendar_id, year) DO NOTHING",
        )
        .bind(calendar_id.to_string())
        .bind(i64::from(year))
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_holiday_year(
        &mut self,
        calendar_id: Uuid,
        year: &YearHolidays,
        replace: bool,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let cal = calendar_id.to_string();
        let y = i64::from(year.year());
        if replace {
            for sql in [
                "DELETE FROM calendar_days WHERE calendar_id = $1 AND year = $2",
                "DELETE FROM calendar_years WHERE calendar_id = $1 AND year = $2",
            ] {
                sqlx::query(sql)
                    .bind(&cal)
                    .bind(y)
                    .execute(self.db().await?)
                    .await
                    .map_err(err)?;
            }
        }
        let done = sqlx::query(
            "INSERT INTO calendar_years (calendar_id, year, notice, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (calendar_id, year) DO NOTHING",
        )
        .bind(&cal)
        .bind(y)
        .bind(year.notice())
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for (seq, festival) in year.festivals().iter().enumerate() {
            let days = festival
                .off()
                .iter()
                .map(|d| (d, "holiday"))
                .chain(festival.work().iter().map(|d| (d, "make_up")));
            for (day, kind) in days {
                sqlx::query(
                    "INSERT INTO calendar_days \
                     (calendar_id, year, day, kind, festival_seq, festival_zh, festival_en) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&cal)
                .bind(y)
                .bind(day.to_string())
                .bind(kind)
                .bind(seq as i64)
                .bind(festival.name_zh())
                .bind(festival.name_en())
                .execute(self.db().await?)
                .await
                .map_err(err)?;
            }
        }
        self.bump_revision(calendar_id, at).await?;
        Ok(true)
    }

    async fn delete_holiday_year(
        &mut self,
        calendar_id: Uuid,
        year: i16,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let cal = calendar_id.to_string();
        sqlx::query("DELETE FROM calendar_days WHERE calendar_id = $1 AND year = $2")
            .bind(&cal)
            .bind(i64::from(year))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        let done = sqlx::query("DELETE FROM calendar_years WHERE calendar_id = $1 AND year = $2")
            .bind(&cal)
            .bind(i64::from(year))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.bump_revision(calendar_id, at).await?;
        Ok(true)
    }

    async fn holiday_years(&mut self, calendar_id: Uuid) -> Result<Vec<YearHolidays>, StoreError> {
        let cal = calendar_id.to_string();
        let years = sqlx::query(
            "SELECT year, notice FROM calendar_years WHERE calendar_id = $1 ORDER BY year",
        )
        .bind(&cal)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let days = sqlx::query(
            "SELECT year, day, kind, festival_seq, festival_zh, festival_en FROM calendar_days \
             WHERE calendar_id = $1 ORDER BY year, festival_seq, day",
        )
        .bind(&cal)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let mut out = Vec::with_capacity(years.len());
        let mut days = days.iter().peekable();
        for row in &years {
            let year: i64 = row.try_get("year").map_err(err)?;
            let notice: Option<String> = row.try_get("notice").map_err(err)?;
            let mut festivals = Vec::new();
            // Days come sorted by year, then festival: take this year's, festival by festival.
            let mut current: Option<(i64, String, String, Vec<Date>, Vec<Date>)> = None;
            while let Some(d) = days.peek() {
                let dy: i64 = d.try_get("year").map_err(err)?;
                if dy != year {
                    break;
                }
                let d = days.next().expect("peeked");
                let seq: i64 = d.try_get("festival_seq").map_err(err)?;
                let day = parse_day(&d.try_get::<String, _>("day").map_err(err)?)?;
                let kind: String = d.try_get("kind").map_err(err)?;
                if current.as_ref().is_none_or(|c| c.0 != seq) {
                    if let Some((_, zh, en, off, work)) = current.take() {
                        festivals.push(Festival::new(zh, en, off, work));
                    }
                    current = Some((
                        seq,
                        d.try_get("festival_zh").map_err(err)?,
                        d.try_get("festival_en").map_err(err)?,
                        Vec::new(),
                        Vec::new(),
                    ));
                }
                let c = current.as_mut().expect("set above");
                if kind == "holiday" {
                    c.3.push(day);
                } else {
                    c.4.push(day);
                }
            }
            if let Some((_, zh, en, off, work)) = current.take() {
                festivals.push(Festival::new(zh, en, off, work));
            }
            let year = i16::try_from(year)
                .map_err(|_| StoreError::Corrupt("calendar year out of range".into()))?;
            out.push(
                YearHolidays::new(year, notice, festivals).map_err(corrupt("holiday year"))?,
            );
        }
        Ok(out)
    }

    async fn holiday_year_summaries(
        &mut self,
        calendar_id: Uuid,
    ) -> Result<Vec<HolidayYearSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT y.year, y.notice, y.updated_at, \
             (SELECT COUNT(*) FROM calendar_days d WHERE d.calendar_id = y.calendar_id \
                AND d.year = y.year AND d.kind = 'holiday') AS holidays, \
             (SELECT COUNT(*) FROM calendar_days d WHERE d.calendar_id = y.calendar_id \
                AND d.year = y.year AND d.kind = 'make_up') AS make_up_days \
             FROM calendar_years y WHERE y.calendar_id = $1 ORDER BY y.year",
        )
        .bind(calendar_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                let year: i64 = r.try_get("year").map_err(err)?;
                let holidays: i64 = r.try_get("holidays").map_err(err)?;
                let make_up: i64 = r.try_get("make_up_days").map_err(err)?;
                Ok(HolidayYearSummary {
                    year: i16::try_from(year)
                        .map_err(|_| StoreError::Corrupt("calendar year out of range".into()))?,
                    notice: r.try_get("notice").map_err(err)?,
                    holidays: holidays as u32,
                    make_up_days: make_up as u32,
                    updated_at: ts(r.try_get("updated_at").map_err(err)?)?,
                })
            })
            .collect()
    }
}

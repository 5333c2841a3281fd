//! Reads the operative text of a State Council holiday notice (国务院办公厅关于××年部分节假日
//! 安排的通知), so an administrator can paste the notice instead of typing dates, and so the
//! shipped data can be checked against the official wording.
//!
//! Grammar, one festival a line:
//!
//! ```text
//! 二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
//! ```
//!
//! - A festival line starts with a Chinese ordinal and `、`, then the festival's name up to `：`.
//!   Other lines (title, preamble) are ignored.
//! - The body is cut into sentences at `。`. A sentence containing `上班` lists make-up working
//!   days, one containing `放假` lists holidays; other sentences are ignored.
//! - A date is `[YYYY年][M月]D日`; a missing year or month is taken from the date before it in
//!   the sentence (the notice's year at the start). `A至B` is an inclusive range. A note in
//!   full-width parentheses may follow a date; a weekday in it (`周二`, `星期二`) is recorded.
//! - Only dates inside the notice's year count (`2023年12月30日至2024年1月1日` gives 1 January
//!   for 2024); weekday notes are recorded for every date written.

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday};

use super::holidays::{Festival, YearHolidays};
use super::CalendarError;

/// A parsed notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The year the notice arranges.
    pub year: i16,
    /// Festivals in the notice's order.
    pub festivals: Vec<NoticeFestival>,
}

/// One festival line of a notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeFestival {
    /// The name as written, e.g. `国庆节、中秋节`.
    pub name_zh: String,
    /// Holiday dates inside the notice's year.
    pub off: BTreeSet<Date>,
    /// Make-up working days inside the notice's year.
    pub work: BTreeSet<Date>,
    /// Every date written with a weekday in its note, with that weekday, in text order.
    pub weekday_notes: Vec<(Date, Weekday)>,
}

/// English names of the festivals the State Council arranges.
const ENGLISH: [(&str, &str); 7] = [
    ("元旦", "New Year's Day"),
    ("春节", "Spring Festival"),
    ("清明节", "Qingming Festival"),
    ("劳动节", "Labour Day"),
    ("端午节", "Dragon Boat Festival"),
    ("中秋节", "Mid-Autumn Festival"),
    ("国庆节", "National Day"),
];

/// English name for a festival heading; combined headings (`国庆节、中秋节`) are joined with
/// "and"; an unknown name is kept in Chinese.
pub fn english_name(name_zh: &str) -> String {
    name_zh
        .split('、')
        .map(|part| {
            ENGLISH
                .iter()
                .find(|(zh, _)| *zh == part)
                .map_or(part, |(_, en)| en)
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

impl Notice {
    /// Turns the notice into a checked year for a [`super::HolidaySet`], with English names
    /// from [`english_name`].
    pub fn into_year(self, notice: Option<String>) -> Result<YearHolidays, CalendarError> {
        let festivals = self
            .festivals
            .into_iter()
            .map(|f| {
                let en = english_name(&f.name_zh);
                Festival::new(f.name_zh, en, f.off, f.work)
            })
            .collect();
        YearHolidays::new(self.year, notice, festivals)
    }
}

/// Parses a notice's text for `year` (grammar in the module documentation).
pub fn parse_notice(year: i16, text: &str) -> Result<Notice, CalendarError> {
    let mut festivals = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let err = |message: String| CalendarError::Notice {
            line: line_no,
            message,
        };
        let Some((name, body)) = festival_line(line.trim()) else {
            continue;
        };
        let mut festival = NoticeFestival {
            name_zh: name.to_owned(),
            off: BTreeSet::new(),
            work: BTreeSet::new(),
            weekday_notes: Vec::new(),
        };
        for sentence in body.split('。') {
            let target = match (sentence.contains("上班"), sentence.contains("放假")) {
                (true, false) => &mut festival.work,
                (false, true) => &mut festival.off,
                (false, false) => continue,
                (true, true) => {
                    return Err(err(format!("sentence mixes 放假 and 上班: {sentence}")))
                }
            };
            let dates = scan_sentence(year, sentence, &mut festival.weekday_notes).map_err(err)?;
            target.extend(dates.into_iter().filter(|d| d.year() == year));
        }
        festivals.push(festival);
    }
    Ok(Notice { year, festivals })
}

/// Splits `二、春节：body` into (`春节`, body).
fn festival_line(line: &str) -> Option<(&str, &str)> {
    let (ordinal, rest) = line.split_once('、')?;
    if ordinal.is_empty() || !ordinal.chars().all(|c| "一二三四五六七八九十".contains(c))
    {
        return None;
    }
    let (name, body) = rest.split_once('：')?;
    Some((name.trim(), body))
}

/// Returns every date a sentence lists (ranges expanded), recording weekday notes.
fn scan_sentence(
    year: i16,
    sentence: &str,
    notes: &mut Vec<(Date, Weekday)>,
) -> Result<Vec<Date>, String> {
    let chars: Vec<char> = sentence.chars().collect();
    let mut i = 0;
    let mut dates = Vec::new();
    // Context for a date written without year or month.
    let mut ctx_year = year;
    let mut ctx_month: Option<i8> = None;
    let mut range_start: Option<Date> = None;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A date: up to three numbers closed by 年, 月, 日.
        let (mut y, mut m) = (None, None);
        let day = loop {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let n: i64 = chars[start..i]
                .iter()
                .collect::<String>()
                .parse()
                .map_err(|_| "number too long".to_owned())?;
            match chars.get(i) {
                Some('年') if y.is_none() && m.is_none() => y = Some(n),
                Some('月') if m.is_none() => m = Some(n),
                Some('日') => break Some(n),
                // A number that is no date (`共8天`, `放假1天`).
                _ => break None,
            }
            i += 1;
            if !chars.get(i).is_some_and(char::is_ascii_digit) {
                return Err(format!("incomplete date before {:?}", chars.get(i)));
            }
        };
        let Some(day) = day else {
            if y.is_some() || m.is_some() {
                return Err("incomplete date".to_owned());
            }
            continue;
        };
        i += 1; // past 日
        if let Some(y) = y {
            ctx_year = i16::try_from(y).map_err(|_| format!("bad year {y}"))?;
        }
        if let Some(m) = m {
            ctx_month = Some(i8::try_from(m).map_err(|_| format!("bad month {m}"))?);
        }
        let month = ctx_month.ok_or_else(|| format!("day {day} written without a month"))?;
        let day_i8 = i8::try_from(day).map_err(|_| format!("bad day {day}"))?;
        let date = Date::new(ctx_year, month, day_i8)
            .map_err(|_| format!("{ctx_year}年{month}月{day}日 is not a date"))?;
        // An optional note in full-width parentheses.
        if chars.get(i) == Some(&'（') {
            let close = chars[i..]
                .iter()
                .position(|&c| c == '）')
                .ok_or_else(|| "unclosed （".to_owned())?;
            let note: String = chars[i + 1..i + close].iter().collect();
            if let Some(weekday) = note_weekday(&note)? {
                notes.push((date, weekday));
            }
            i += close + 1;
        }
        match range_start.take() {
            Some(first) => {
                if date < first {
                    return Err(format!("range {first} to {date} ends before it starts"));
                }
                let mut d = first;
                loop {
                    dates.push(d);
                    if d == date {
                        break;
                    }
                    d = d.tomorrow().map_err(|e| e.to_string())?;
                }
            }
            None if chars.get(i) == Some(&'至') => range_start = Some(date),
            None => dates.push(date),
        }
    }
    if let Some(first) = range_start {
        return Err(format!("range from {first} has no end"));
    }
    Ok(dates)
}

/// The weekday named in a note such as `农历除夕、周二`, if any.
fn note_weekday(note: &str) -> Result<Option<Weekday>, String> {
    for part in note.split('、') {
        let part = part.trim();
        let Some(rest) = part
            .strip_prefix('周')
            .or_else(|| part.strip_prefix("星期"))
        else {
            continue;
        };
        let weekday = match rest {
            "一" => Weekday::Monday,
            "二" => Weekday::Tuesday,
            "三" => Weekday::Wednesday,
            "四" => Weekday::Thursday,
            "五" => Weekday::Friday,
            "六" => Weekday::Saturday,
            "日" | "天" => Weekday::Sunday,
            _ => return Err(format!("unknown weekday {part}")),
        };
        return Ok(Some(weekday));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::HolidaySet;
    use jiff::civil::date;

    const NOTICES: [(i16, &str); 3] = [
        (2024, include_str!("../../data/calendars/notices/2024.txt")),
        (2025, include_str!("../../data/calendars/notices/2025.txt")),
        (2026, include_str!("../../data/calendars/notices/2026.txt")),
    ];

    /// The notices' wording and the data file say the same thing, festival by festival and
    /// day by day.
    #[test]
    fn notices_equal_the_data_file() {
        let data = HolidaySet::china_mainland();
        for (year, text) in NOTICES {
            let notice = parse_notice(year, text).unwrap();
            let shipped = data.year(year).unwrap();
            let names: Vec<_> = notice
                .festivals
                .iter()
                .map(|f| f.name_zh.as_str())
                .collect();
            let shipped_names: Vec<_> = shipped.festivals().iter().map(Festival::name_zh).collect();
            assert_eq!(names, shipped_names, "{year}");
            for (n, s) in notice.festivals.iter().zip(shipped.festivals()) {
                assert_eq!(&n.off, s.off(), "{year} {} holidays", n.name_zh);
                assert_eq!(&n.work, s.work(), "{year} {} make-up days", n.name_zh);
                assert_eq!(
                    english_name(&n.name_zh),
                    s.name_en(),
                    "{year} {}",
                    n.name_zh
                );
            }
            // And the whole notice, converted, is the shipped year exactly.
            let converted = notice
                .into_year(shipped.notice().map(str::to_owned))
                .unwrap();
            assert_eq!(&converted, shipped, "{year}");
        }
    }

    /// Every `（…周X）` note in the notices names the real weekday of its date.
    #[test]
    fn notice_weekday_notes_are_right() {
        let mut checked = 0;
        for (year, text) in NOTICES {
            for f in parse_notice(year, text).unwrap().festivals {
                for (d, written) in f.weekday_notes {
                    assert_eq!(d.weekday(), written, "{year} {}: {d}", f.name_zh);
                    checked += 1;
                }
            }
        }
        // 2024: 21 notes, 2025: 16, 2026: 20.
        assert_eq!(checked, 21 + 16 + 20);
    }

    #[test]
    fn cross_year_ranges_keep_only_the_notice_year() {
        let n = parse_notice(
            2024,
            "一、元旦：2023年12月30日（周六）至2024年1月1日（周一）放假，共3天。",
        )
        .unwrap();
        let f = &n.festivals[0];
        assert_eq!(
            f.off.iter().copied().collect::<Vec<_>>(),
            vec![date(2024, 1, 1)]
        );
        assert_eq!(
            f.weekday_notes,
            vec![
                (date(2023, 12, 30), Weekday::Saturday),
                (date(2024, 1, 1), Weekday::Monday)
            ]
        );
        // The same range read for 2023 gives the two December days.
        let n = parse_notice(2023, "一、元旦：2023年12月30日至2024年1月1日放假。").unwrap();
        assert_eq!(n.festivals[0].off.len(), 2);
    }

    #[test]
    fn notice_grammar_variants_and_errors() {
        let n = parse_notice(
            2025,
            "标题行，2025年，会被忽略。\n六、国庆节、中秋节：10月1日（星期三）至8日放假调休，共8天。9月28日（星期日）、10月11日（星期六）上班。鼓励在除夕（1月28日）休息。",
        )
        .unwrap();
        assert_eq!(n.festivals.len(), 1);
        assert_eq!(n.festivals[0].off.len(), 8);
        assert_eq!(n.festivals[0].work.len(), 2);
        assert_eq!(n.festivals[0].weekday_notes.len(), 3);
        assert_eq!(
            english_name("国庆节、中秋节"),
            "National Day and Mid-Autumn Festival"
        );

        for bad in [
            "一、春节：5日至7日放假。",
            "一、春节：2月30日放假。",
            "一、春节：2月7日至5日放假。",
            "一、春节：2月5日至放假。",
            "一、春节：2月5日（周八）放假。",
            "一、春节：2月5日（周三放假。",
            "一、春节：2月5日放假，2月8日上班。",
        ] {
            assert!(
                matches!(
                    parse_notice(2025, bad),
                    Err(CalendarError::Notice { line: 1, .. })
                ),
                "{bad}"
            );
        }
    }
}

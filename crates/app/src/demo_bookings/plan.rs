//! What each demo booking is, decided by a deterministic generator before anything is
//! written: what it books (seats for a party, or one or two rooms for a stay), its state
//! from its dates, when it was made, confirmed and closed, its price, what was paid, and
//! the refund a cancelled confirmed booking owes. The generator keeps the inventory it has
//! handed out, so it never plans more seats than a departure has or a night twice.

use super::catalog::DemoCatalog;
use crate::bookings::catalog::day_kind;
use crate::bookings::confirmation_number;
use crate::bookings::steps::default_policy;
use crate::demo_desk::Lcg;
use crate::AppError;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tripdesk_domain::bookings::{
    compute_refund, refund_payment_due, BookingState, Cause, Hold, RefundCase, Stay,
};
use tripdesk_domain::calendar::Calendar;
use tripdesk_domain::catalog::{Party, TourScope};
use tripdesk_domain::customer::ResidentId;
use tripdesk_store::{Booking, BookingLine, LineItem, Payment, PaymentMethod, RefundRecord};
use uuid::Uuid;

/// Distinct people who book (some book more than once).
pub(super) const PEOPLE: u64 = 700;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文博", "晓燕", "国平", "海峰",
    "雅琴", "思远", "晓东", "美玲", "志强", "海燕", "春梅", "国庆", "建军", "丽华", "一鸣", "淑珍",
];
const CHILD_GIVEN: &[&str] = &[
    "子涵", "浩然", "欣怡", "雨桐", "梓萱", "一诺", "沐阳", "可馨", "宇轩", "若汐",
];
/// Mobile prefixes none of the other demo customers use.
const PREFIXES: &[&str] = &["135", "152", "157", "183", "198"];

/// Person `ix`'s name and mobile (distinct for every `ix` below [`PEOPLE`]).
pub(super) fn person(ix: u64) -> (String, String) {
    let name = format!(
        "{}{}",
        SURNAMES[(ix % 30) as usize],
        GIVEN[((ix / 30 + ix * 7) % 40) as usize]
    );
    let phone = format!(
        "{}{:08}",
        PREFIXES[(ix % 5) as usize],
        (ix * 7_919 + 31_415_926) % 100_000_000
    );
    (name, phone)
}

/// Child `n` of person `ix`: their surname, and the resident ID of a 7- to 12-year-old
/// (children have no phone; the ID finds them again).
pub(super) fn child(ix: u64, n: u64) -> Result<(String, String), AppError> {
    let name = format!(
        "{}{}",
        SURNAMES[(ix % 30) as usize],
        CHILD_GIVEN[((ix + n * 3) % 10) as usize]
    );
    let body = format!(
        "330106{}{:02}{:02}{:03}",
        2014 + (ix + n) % 6,
        1 + ix % 12,
        1 + (ix + n) % 28,
        (ix * 2 + n) % 1000
    );
    let id = ResidentId::complete(&body)
        .ok_or_else(|| AppError::Internal("demo child ID body is not 17 digits".into()))?;
    Ok((name, id))
}

/// Who a customer record is, for the cache of records already found or created.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Who {
    Person(u64),
    Child(u64, u64),
}

/// A demo ticket and its customer.
pub(super) type LinkedTicket = (Uuid, Option<Uuid>);
/// Demo tickets by (about the homestay, about a past trip), and how many were linked.
pub(super) type TicketPool = HashMap<(bool, bool), (Vec<LinkedTicket>, usize)>;

/// A draft's lines as priced, its tours' scopes, and a stay's first night in fen.
pub(super) struct Priced {
    pub(super) lines: Vec<BookingLine>,
    pub(super) scopes: Vec<TourScope>,
    pub(super) first_night: Option<i64>,
}

/// What one booking books.
pub(super) enum Plan {
    Tour { dep: usize, party: Party },
    Rooms { rooms: Vec<usize>, stay: Stay },
}

/// One booking decided, before its customers are found and it is written.
pub(super) struct Draft {
    pub(super) plan: Plan,
    pub(super) state: BookingState,
    pub(super) start: Date,
    pub(super) end: Date,
    pub(super) created: Timestamp,
    pub(super) confirmed_at: Option<Timestamp>,
    pub(super) hold: Option<(Hold, Timestamp)>,
    pub(super) cancelled_at: Option<Timestamp>,
    /// The demo ticket it is linked to, with that ticket's customer.
    pub(super) ticket: Option<LinkedTicket>,
    pub(super) booker: u64,
}

/// The generator's state: inventory already taken, customers already written.
pub(super) struct Gen {
    pub(super) rng: Lcg,
    pub(super) zone: TimeZone,
    pub(super) today: Date,
    pub(super) now: Timestamp,
    pub(super) catalog: DemoCatalog,
    pub(super) seats_taken: Vec<u32>,
    pub(super) nights: HashSet<(usize, Date)>,
    pub(super) customers: HashMap<Who, Uuid>,
    pub(super) calendar: Arc<Calendar>,
    /// Tickets to link by (homestay area, about a past trip), and how many were used.
    pub(super) tickets: TicketPool,
    pub(super) references: u64,
}

/// The hold a booking made at `created` for a start on `start` gets: three days to pay a
/// deposit, or 30 minutes at checkout when the start is too close for a deposit.
fn hold_for(
    zone: &TimeZone,
    created: Timestamp,
    start: Date,
) -> Result<(Hold, Timestamp), AppError> {
    let deposit = Hold::Deposit { days: 3 };
    match deposit.expires_at(created, zone, start) {
        Ok(at) => Ok((deposit, at)),
        Err(_) => {
            let checkout = Hold::Checkout { minutes: 30 };
            let at = checkout
                .expires_at(created, zone, start)
                .map_err(|e| AppError::Internal(format!("demo hold: {e}")))?;
            Ok((checkout, at))
        }
    }
}

fn minutes(n: u64) -> SignedDuration {
    SignedDuration::from_mins(i64::try_from(n).unwrap_or(0))
}

impl Gen {
    pub(super) fn at(&self, date: Date, hour: i8, minute: i8) -> Timestamp {
        self.zone
            .to_zoned(date.at(hour, minute, 0, 0))
            .map(|z| z.timestamp())
            .unwrap_or(self.now)
    }

    pub(super) fn date_of(&self, t: Timestamp) -> Date {
        self.zone.to_datetime(t).date()
    }

    fn party(&mut self) -> Party {
        let adults = [1, 2, 2, 2, 2, 3, 4, 2, 1, 0][self.rng.below(10) as usize];
        let seniors = if adults == 0 || self.rng.below(3) == 0 {
            2
        } else {
            0
        };
        let children = if adults > 0 && self.rng.below(3) == 0 {
            1 + self.rng.below(2) as u32
        } else {
            0
        };
        Party {
            adults,
            children,
            seniors,
        }
    }

    /// A departure, popular packages weighing more; with `size` seats left when `need`.
    fn pick_departure(&mut self, size: u32, need: bool) -> Option<usize> {
        let total: u64 = self.catalog.departures.iter().map(|d| d.weight).sum();
        for _ in 0..200 {
            let mut pick = self.rng.below(total);
            let ix = self
                .catalog
                .departures
                .iter()
                .position(|d| {
                    let here = pick < d.weight;
                    pick = pick.saturating_sub(d.weight);
                    here
                })
                .unwrap_or(0);
            if !need || self.catalog.departures[ix].seats - self.seats_taken[ix] >= size {
                return Some(ix);
            }
        }
        None
    }

    /// A stay of 1–4 nights (half of them from a Friday) in one room, or two for a family,
    /// free on every night; the coming weeks busier than half a year out.
    fn pick_stay(&mut self) -> Option<(Vec<usize>, Stay)> {
        for _ in 0..200 {
            let mut offset = self.rng.below(270) as i64 - 90;
            if offset > 120 && self.rng.below(2) == 0 {
                offset = self.rng.below(120) as i64;
            }
            let mut check_in = self.today.checked_add(offset.days()).ok()?;
            if self.rng.below(2) == 0 {
                let back = (check_in.weekday().to_monday_one_offset() - 5).rem_euclid(7);
                check_in = check_in.checked_sub(i64::from(back).days()).ok()?;
            }
            let nights = [1, 1, 2, 2, 2, 3, 4][self.rng.below(7) as usize];
            let stay = Stay::new(check_in, check_in.checked_add(nights.days()).ok()?).ok()?;
            let first = self.rng.below(self.catalog.rooms.len() as u64) as usize;
            let mut rooms = vec![first];
            if self.rng.below(10) == 0 {
                rooms.push((first + 1) % self.catalog.rooms.len());
            }
            let free = |r: &usize| stay.night_dates().all(|n| !self.nights.contains(&(*r, n)));
            if rooms.iter().all(free) {
                return Some((rooms, stay));
            }
        }
        None
    }

    /// A payment method, with a transaction number unique per method where it has one.
    fn method(&mut self) -> (PaymentMethod, Option<String>) {
        self.references += 1;
        let n = self.references;
        match self.rng.below(20) {
            0..=6 => (PaymentMethod::WechatPay, Some(format!("42000026{n:012}"))),
            7..=12 => (PaymentMethod::Alipay, Some(format!("20261203{n:016}"))),
            13..=15 => (PaymentMethod::BankTransfer, Some(format!("ICBC{n:012}"))),
            16..=17 => (PaymentMethod::Card, Some(format!("POS{n:010}"))),
            _ => (PaymentMethod::Cash, None),
        }
    }

    /// The next demo ticket of this kind to link, with its customer.
    fn ticket(&mut self, homestay: bool, past: bool) -> Option<LinkedTicket> {
        let (ids, used) = self.tickets.get_mut(&(homestay, past))?;
        let t = ids.get(*used % ids.len().max(1)).copied();
        *used += 1;
        t
    }

    /// Decides the next booking; `None` when no inventory fits it (rare: it is skipped).
    pub(super) fn draft(&mut self) -> Result<Option<Draft>, AppError> {
        let tour = self.rng.below(100) < 62;
        let roll = self.rng.below(100);
        // Whether the booking keeps its inventory (live) follows from the roll and whether
        // it starts in the past, so only live bookings need free seats or nights.
        let live = |past: bool| if past { roll >= 13 } else { roll >= 8 };
        let (plan, start, end) = if tour {
            let party = self.party();
            let mut found = None;
            for _ in 0..5 {
                let dep = self.pick_departure(party.size(), false);
                if let Some(d) = dep.map(|ix| (ix, &self.catalog.departures[ix])) {
                    let left = d.1.seats - self.seats_taken[d.0];
                    if !live(d.1.date < self.today) || left >= party.size() {
                        found = Some(d.0);
                        break;
                    }
                }
            }
            let Some(dep) = found.or_else(|| self.pick_departure(party.size(), true)) else {
                return Ok(None);
            };
            let d = &self.catalog.departures[dep];
            (Plan::Tour { dep, party }, d.date, d.last_day)
        } else {
            let Some((rooms, stay)) = self.pick_stay() else {
                return Ok(None);
            };
            let (start, end) = (stay.check_in(), stay.check_out());
            (Plan::Rooms { rooms, stay }, start, end)
        };
        let past = start < self.today;
        let state = match (past, end < self.today, roll) {
            (true, true, 0..=9) => BookingState::Cancelled,
            (true, true, 10..=12) => BookingState::Expired,
            (true, true, _) => BookingState::Completed,
            // Under way: called off before it started, or confirmed.
            (true, false, 0..=12) => BookingState::Cancelled,
            (true, false, _) => BookingState::Confirmed,
            (false, _, 0..=7) => BookingState::Cancelled,
            (false, _, 8..=27) => BookingState::Held,
            (false, _, _) => BookingState::Confirmed,
        };
        debug_assert_eq!(state.holds_inventory(), live(past));
        // Cancelled after confirmation (and payment), or while still held.
        let was_confirmed = match state {
            BookingState::Cancelled => roll.is_multiple_of(2) || past,
            BookingState::Expired | BookingState::Held => false,
            _ => true,
        };

        // Tours are booked 1–9 weeks ahead, stays 1–30 days (never later than now); a
        // confirmation follows within three hours.
        let lead = if tour {
            7 + self.rng.below(60)
        } else {
            1 + self.rng.below(30)
        };
        let made_on = start.checked_sub((lead as i64).days()).unwrap_or(start);
        let (hour, minute) = (9 + self.rng.below(12) as i8, self.rng.below(60) as i8);
        let mut created = self.at(made_on, hour, minute);
        if created >= self.now {
            created = self.now - minutes(1 + self.rng.below(3 * 24 * 60));
        }
        let mut hold = None;
        if state == BookingState::Held {
            created = self.now - minutes(1 + self.rng.below(36 * 60));
            let (h, at) = hold_for(&self.zone, created, start)?;
            if matches!(h, Hold::Checkout { .. }) || at <= self.now || self.rng.below(5) == 0 {
                created = self.now - minutes(1 + self.rng.below(25));
                hold = Some((Hold::Checkout { minutes: 30 }, created + minutes(30)));
            } else {
                hold = Some((h, at));
            }
        } else if state == BookingState::Expired {
            hold = Some(hold_for(&self.zone, created, start)?);
        }
        let confirmed_at = was_confirmed.then(|| {
            let t = created + minutes(5 + self.rng.below(175));
            t.min(self.now - minutes(1)).max(created)
        });
        let cancelled_at = (state == BookingState::Cancelled).then(|| {
            let bound = self.at(start, 8, 0).min(self.now);
            let after = confirmed_at.unwrap_or(created);
            let span = bound.duration_since(after).as_mins().max(1);
            (after + minutes(1 + self.rng.below(span as u64))).min(self.now)
        });
        let ticket = if self.rng.below(20) == 0 {
            self.ticket(!tour, past)
        } else {
            None
        };
        Ok(Some(Draft {
            plan,
            state,
            start,
            end,
            created,
            confirmed_at,
            hold,
            cancelled_at,
            ticket,
            booker: self.rng.below(PEOPLE),
        }))
    }

    /// The lines of a draft priced as `create_booking` prices them, the tour scopes, and
    /// the first night's price of a stay (what a first-night charge withholds).
    pub(super) fn price(&self, plan: &Plan) -> Result<Priced, AppError> {
        let bad = |e: tripdesk_domain::catalog::CatalogError| {
            AppError::Internal(format!("demo price: {e}"))
        };
        let kind = |d| day_kind(&self.calendar, d);
        match plan {
            Plan::Tour { dep, party } => {
                let d = &self.catalog.departures[*dep];
                let line = BookingLine {
                    line_no: 1,
                    item: LineItem::Seats {
                        departure_id: d.id,
                        party: *party,
                    },
                    price_fen: d.departure.price_for(party).map_err(bad)?,
                };
                Ok(Priced {
                    lines: vec![line],
                    scopes: vec![d.scope],
                    first_night: None,
                })
            }
            Plan::Rooms { rooms, stay } => {
                let mut lines = Vec::new();
                for (i, r) in rooms.iter().enumerate() {
                    let room = &self.catalog.rooms[*r];
                    let quote = room
                        .room_type
                        .stay_price(stay.check_in(), stay.check_out(), kind)
                        .map_err(bad)?;
                    lines.push(BookingLine {
                        line_no: u32::try_from(i + 1).unwrap_or(1),
                        item: LineItem::Room {
                            room_id: room.id,
                            stay: *stay,
                        },
                        price_fen: quote.total_fen,
                    });
                }
                let check_in = stay.check_in();
                let next = check_in
                    .tomorrow()
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                let first = self.catalog.rooms[rooms[0]]
                    .room_type
                    .stay_price(check_in, next, kind)
                    .map_err(bad)?;
                Ok(Priced {
                    lines,
                    scopes: Vec::new(),
                    first_night: Some(first.total_fen),
                })
            }
        }
    }

    /// Fills in what the draft's state and timeline say: confirmation number and policy,
    /// hold, arrival at the homestay, when it closed.
    pub(super) fn settle(&mut self, booking: &mut Booking, d: &Draft, scopes: &[TourScope]) {
        if let Some(at) = d.confirmed_at {
            booking.confirmation_no = Some(confirmation_number(self.date_of(at)));
            booking.policy = Some(default_policy(scopes, self.date_of(at)));
            booking.updated_at = at;
        }
        if let Some((h, at)) = d.hold {
            booking.hold_kind = Some(h.kind());
            booking.hold_expires_at = Some(at);
        }
        let closed = match d.state {
            BookingState::Expired => d.hold.map(|(_, at)| at),
            BookingState::Cancelled => d.cancelled_at,
            BookingState::Completed => Some(
                self.at(d.end.tomorrow().unwrap_or(d.end), 10, 0)
                    .min(self.now),
            ),
            _ => None,
        };
        if let Some(at) = closed {
            booking.closed_at = Some(at);
            booking.updated_at = at;
        }
        // Guests arrive only at a confirmed booking (the arrival rules); the welcome pack is
        // given at registration.
        if matches!(d.plan, Plan::Rooms { .. })
            && matches!(
                d.state,
                BookingState::Confirmed | BookingState::Changed | BookingState::Completed
            )
            && d.start <= self.today
        {
            let (hour, minute) = (14 + self.rng.below(6) as i8, self.rng.below(60) as i8);
            let arrived = self.at(d.start, hour, minute);
            if arrived < self.now {
                booking.arrived_at = Some(arrived);
                booking.registered_at = Some(arrived + minutes(4));
                booking.welcome_pack_at = booking.registered_at;
            }
        }
    }

    /// What was paid — in full at confirmation, or a 30 % deposit then the balance three
    /// days before the start once that day has come — and for a cancelled confirmed booking
    /// the refund its policy computes, paid back (a negative payment) once a day or more
    /// has passed. Sets the booking's `paid_fen`.
    pub(super) fn money(
        &mut self,
        booking: &mut Booking,
        d: &Draft,
        first_night_fen: Option<i64>,
        by: Uuid,
    ) -> Result<(Vec<Payment>, Option<RefundRecord>), AppError> {
        let total = booking.total_fen;
        let mut amounts = Vec::new();
        if let Some(at) = d.confirmed_at {
            let deposit = self.rng.below(5) < 2;
            let first = if deposit { total * 30 / 100 } else { total };
            amounts.push((at, first));
            let balance_at = self.at(d.start.checked_sub(3.days()).unwrap_or(d.start), 10, 30);
            if deposit && d.state != BookingState::Cancelled && balance_at < self.now {
                amounts.push((balance_at.max(at), total - first));
            }
        }
        let mut payments = Vec::new();
        for (at, amount_fen) in amounts {
            let (method, reference) = self.method();
            payments.push(Payment {
                id: Uuid::now_v7(),
                booking_id: booking.id,
                method,
                amount_fen,
                reference,
                recorded_by: Some(by),
                recorded_at: at,
            });
            booking.paid_fen += amount_fen;
        }
        let (Some(cancelled), Some(policy)) = (d.cancelled_at, &booking.policy) else {
            return Ok((payments, None));
        };
        let case = RefundCase {
            total_fen: total,
            paid_fen: booking.paid_fen,
            first_night_fen,
            starts_on: d.start,
            cancelled_on: self.date_of(cancelled),
        };
        let refund = compute_refund(&policy.terms, &case, &Cause::Customer)
            .map_err(|e| AppError::Internal(format!("demo refund: {e}")))?;
        let due_at = refund_payment_due(&self.calendar, cancelled)
            .map_err(|e| AppError::Internal(format!("demo refund deadline: {e}")))?;
        let mut record = RefundRecord {
            id: Uuid::now_v7(),
            booking_id: booking.id,
            cause: Cause::Customer,
            refund,
            due_at,
            created_at: cancelled,
            paid_at: None,
            payment_id: None,
        };
        let paid_at = cancelled + minutes(24 * 60 + self.rng.below(72 * 60));
        if paid_at < self.now && record.refund.refund_fen > 0 {
            let payment = Payment {
                id: Uuid::now_v7(),
                booking_id: booking.id,
                // Back the way the money came.
                method: payments.first().map_or(PaymentMethod::Cash, |p| p.method),
                amount_fen: -record.refund.refund_fen,
                reference: None,
                recorded_by: Some(by),
                recorded_at: paid_at,
            };
            booking.paid_fen -= record.refund.refund_fen;
            record.paid_at = Some(paid_at);
            record.payment_id = Some(payment.id);
            payments.push(payment);
        }
        Ok((payments, Some(record)))
    }
}

//! What the public commitments page says, read from live configuration: the SLA policies in
//! force that are promised to travelers (each with its deadline; the agency's own duties are
//! left out, `SlaTarget::promised_to_travelers`), the cancellation policy in force for each
//! tour package on sale (tiers withheld when the traveler cancels; compensation when the
//! agency does — its published compensation standard), the channels a customer can complain
//! through (the hotline, the web form and chat, WeChat when the official account is set
//! up, the national tourism hotline), and the figures the agency chose to publish.

use super::KpiFigure;
use crate::bookings::documents::{EMERGENCY_HOTLINE, TOURISM_HOTLINE};
use crate::bookings::steps::default_policy;
use crate::{App, AppError};
use jiff::tz::TimeZone;
use tripdesk_domain::bookings::{PolicyTerms, Tier};
use tripdesk_store::{PolicySubject, SlaPolicy};

/// Tour packages whose policies the page lists at most.
pub const MAX_PUBLIC_PACKAGES: u32 = 50;

/// One cancellation policy in force and the packages it applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicPolicy {
    pub name: String,
    /// The traveler cancels: share withheld by days before departure.
    pub customer: Vec<Tier>,
    /// The agency cancels: compensation on top of a full refund.
    pub agency: Vec<Tier>,
    pub free_postponement: bool,
    /// The packages it applies to, by name.
    pub packages: Vec<String>,
}

/// Everything the commitments page shows.
#[derive(Debug, Clone)]
pub struct PublicCommitments {
    pub sla: Vec<SlaPolicy>,
    pub policies: Vec<PublicPolicy>,
    pub hotline: &'static str,
    pub tourism_hotline: &'static str,
    pub wechat: bool,
    pub figures: Vec<KpiFigure>,
}

impl App {
    /// The commitments page's content (public: no principal; nothing personal in it).
    pub async fn public_commitments(&self, zone: &TimeZone) -> Result<PublicCommitments, AppError> {
        let figures = self.published_kpis(zone).await?;
        let today = self.today();
        let mut tx = self.store.read().await?;
        let sla: Vec<SlaPolicy> = tx
            .list_sla_policies()
            .await?
            .into_iter()
            .filter(|p| p.enabled && p.target.promised_to_travelers())
            .collect();
        let packages = tx.list_packages(true, MAX_PUBLIC_PACKAGES, 0).await?;
        let mut policies: Vec<PublicPolicy> = Vec::new();
        for p in &packages {
            let pkg = &p.package;
            let policy = match tx
                .policy_in_force(PolicySubject::Package(pkg.id), today)
                .await?
            {
                Some(v) => v.policy,
                None => default_policy(&[pkg.scope], today),
            };
            let PolicyTerms::Tour(terms) = &policy.terms else {
                continue;
            };
            let (customer, agency) = (
                terms.customer.tiers().to_vec(),
                terms.agency.tiers().to_vec(),
            );
            match policies
                .iter_mut()
                .find(|x| x.name == policy.name && x.customer == customer && x.agency == agency)
            {
                Some(x) => x.packages.push(pkg.name.clone()),
                None => policies.push(PublicPolicy {
                    name: policy.name.clone(),
                    customer,
                    agency,
                    free_postponement: terms.free_postponement,
                    packages: vec![pkg.name.clone()],
                }),
            }
        }
        if policies.is_empty() {
            // No package on sale yet: the model contracts' terms are what applies.
            for scope in [
                tripdesk_domain::catalog::TourScope::Domestic,
                tripdesk_domain::catalog::TourScope::Outbound,
            ] {
                let policy = default_policy(&[scope], today);
                if let PolicyTerms::Tour(t) = &policy.terms {
                    policies.push(PublicPolicy {
                        name: policy.name.clone(),
                        customer: t.customer.tiers().to_vec(),
                        agency: t.agency.tiers().to_vec(),
                        free_postponement: t.free_postponement,
                        packages: Vec::new(),
                    });
                }
            }
        }
        Ok(PublicCommitments {
            sla,
            policies,
            hotline: EMERGENCY_HOTLINE,
            tourism_hotline: TOURISM_HOTLINE,
            wechat: self.settings.wechat.is_some(),
            figures,
        })
    }
}

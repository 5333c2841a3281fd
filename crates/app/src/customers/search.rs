//! Finding customers: blind-index look-ups, filters, masked pages.

use super::*;

impl App {
    /// Finds customers by phone, email, WeChat id or document number (blind index), by name
    /// substring or tag (needs `view_customers`).
    pub async fn search_customers(
        &self,
        principal: &Principal,
        q: &CustomerSearch,
    ) -> Result<CustomerPage, AppError> {
        principal.require(Permission::ViewCustomers)?;
        let today = self.today();
        let mut fields = Vec::new();
        let phones: Vec<Labeled> = trimmed(&q.phone)
            .map(|v| Labeled::new("phone", v))
            .into_iter()
            .collect();
        let emails: Vec<Labeled> = trimmed(&q.email)
            .map(|v| Labeled::new("email", v))
            .into_iter()
            .collect();
        let wechat = trimmed(&q.wechat).map(|v| Labeled::new("wechat", v));
        let mut documents = Vec::new();
        if let Some(v) = trimmed(&q.resident_id) {
            documents.push(DocumentInput {
                field: "resident_id".into(),
                kind: "resident_id".into(),
                number: v,
            });
        }
        match (trimmed(&q.document_kind), trimmed(&q.document_number)) {
            (Some(kind), Some(number)) => documents.push(DocumentInput {
                field: "document_number".into(),
                kind,
                number,
            }),
            (None, Some(_)) => fields.push(FieldError::new(
                "document_kind",
                "required",
                "document_kind is needed with document_number",
            )),
            _ => {}
        }
        let wanted = check_identifiers(
            &phones,
            &emails,
            wechat.as_ref(),
            &documents,
            today,
            &mut fields,
        );
        fail_if_any(fields)?;
        let mut ids: Option<BTreeSet<Uuid>> = None;
        let mut tx = self.store.read().await?;
        if !wanted.is_empty() {
            let vault = self.vault()?;
            for w in &wanted {
                let found: BTreeSet<Uuid> = tx
                    .find_customers_by_identifier(w.kind, &vault.blind_index(w.kind, &w.lookup))
                    .await?
                    .into_iter()
                    .collect();
                ids = Some(match ids {
                    None => found,
                    Some(prev) => prev.intersection(&found).copied().collect(),
                });
            }
        }
        let filter = CustomerFilter {
            name: trimmed(&q.name),
            tag: trimmed(&q.tag),
            ids: ids.map(|s| s.into_iter().collect()),
            include_inactive: q.include_inactive,
            limit: q.limit.clamp(1, 500),
            offset: q.offset,
        };
        let customers = tx.list_customers(&filter).await?;
        let total = tx.count_customers(&filter).await?;
        let items = Self::with_identifiers(&mut *tx, customers).await?;
        Ok(CustomerPage { items, total })
    }

    pub(super) async fn with_identifiers(
        tx: &mut dyn Tx,
        customers: Vec<Customer>,
    ) -> Result<Vec<CustomerListItem>, AppError> {
        let ids: Vec<Uuid> = customers.iter().map(|c| c.id).collect();
        let mut idents = tx.list_identifiers_of(&ids).await?;
        Ok(customers
            .into_iter()
            .map(|customer| {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    idents.drain(..).partition(|i| i.customer_id == customer.id);
                idents = rest;
                CustomerListItem {
                    customer,
                    identifiers: mine,
                }
            })
            .collect())
    }
}

//! Notification templates: versions, saving, deleting, previews and the defaults' installation.

use super::*;

impl App {
    pub async fn list_templates(&self, principal: &Principal) -> Result<Vec<Template>, AppError> {
        principal.require(Permission::SendMessages)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_latest_templates().await?)
    }

    pub async fn template_versions(
        &self,
        principal: &Principal,
        key: &str,
        locale: &str,
    ) -> Result<Vec<Template>, AppError> {
        principal.require(Permission::SendMessages)?;
        let mut tx = self.store.read().await?;
        let versions = tx.list_template_versions(key, locale).await?;
        if versions.is_empty() {
            return Err(AppError::NotFound("template"));
        }
        Ok(versions)
    }

    /// Saves a template: the first version, or a new version of an existing one.
    pub async fn save_template(
        &self,
        principal: &Principal,
        input: TemplateInput,
    ) -> Result<Template, AppError> {
        principal.require(Permission::ManageNotifications)?;
        let (key, html) = check_template_input(&input)?;
        let mut tx = self.store.write().await?;
        let previous = tx.latest_template(&key, &input.locale).await?;
        let version = previous.as_ref().map_or(1, |t| t.version + 1);
        let template = Template {
            id: Uuid::now_v7(),
            key,
            locale: input.locale,
            version,
            description: input.description.trim().to_string(),
            subject: input.subject.trim().to_string(),
            body_text: input.body_text,
            body_html: html,
            created_by: Some(principal.user_id).filter(|id| !id.is_nil()),
            created_at: self.now(),
        };
        tx.insert_template(&template).await.on_duplicate(
            "edited_concurrently",
            None,
            "someone saved this template at the same moment; reload and try again",
        )?;
        // Which parts changed, never the text (a template may quote a person).
        let changed: Vec<&str> = previous.map_or_else(Vec::new, |p| {
            [
                ("description", p.description != template.description),
                ("subject", p.subject != template.subject),
                ("body_text", p.body_text != template.body_text),
                ("body_html", p.body_html != template.body_html),
            ]
            .into_iter()
            .filter_map(|(field, differs)| differs.then_some(field))
            .collect()
        });
        self.audit(
            &mut *tx,
            principal,
            AuditAction::MessageTemplateSave,
            "message_template",
            Some(format!("{}/{}", template.key, template.locale)),
            serde_json::json!({
                "key": template.key,
                "locale": template.locale,
                "version": template.version,
                "changed": changed,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(template)
    }

    pub async fn delete_template(
        &self,
        principal: &Principal,
        key: &str,
        locale: &str,
    ) -> Result<(), AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.write().await?;
        let versions = tx.delete_template(key, locale).await?;
        if versions == 0 {
            return Err(AppError::NotFound("template"));
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::MessageTemplateDelete,
            "message_template",
            Some(format!("{key}/{locale}")),
            serde_json::json!({ "key": key, "locale": locale, "versions": versions }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Renders a stored template (a given version, else the latest) with `vars`; variables
    /// not given are shown as «name».
    pub async fn preview_template(
        &self,
        principal: &Principal,
        key: &str,
        locale: &str,
        version: Option<i64>,
        vars: BTreeMap<String, String>,
    ) -> Result<(Template, Rendered), AppError> {
        principal.require(Permission::SendMessages)?;
        let mut tx = self.store.read().await?;
        let template = match version {
            Some(v) => tx.get_template_version(key, locale, v).await?,
            None => tx.latest_template(key, locale).await?,
        }
        .ok_or(AppError::NotFound("template"))?;
        let rendered = Self::preview(&template, vars)?;
        Ok((template, rendered))
    }

    /// Renders unsaved template text (the editor's preview button).
    pub fn preview_input(
        &self,
        principal: &Principal,
        input: &TemplateInput,
        vars: BTreeMap<String, String>,
    ) -> Result<Rendered, AppError> {
        principal.require(Permission::SendMessages)?;
        let (key, body_html) = check_template_input(input)?;
        let t = Template {
            id: Uuid::nil(),
            key,
            locale: input.locale.clone(),
            version: 0,
            description: input.description.clone(),
            subject: input.subject.clone(),
            body_text: input.body_text.clone(),
            body_html,
            created_by: None,
            created_at: self.now(),
        };
        Self::preview(&t, vars)
    }

    pub(super) fn preview(
        t: &Template,
        vars: BTreeMap<String, String>,
    ) -> Result<Rendered, AppError> {
        let mut all = sample_vars(t);
        all.extend(vars);
        render_template(t, &all).map_err(|e| AppError::field("template", "template", e.to_string()))
    }

    /// Installs the built-in templates that do not exist yet (demo data, fresh installs),
    /// under the seeding lock, so nodes starting together install each once.
    pub async fn install_default_templates(&self) -> Result<usize, AppError> {
        let mut tx = self.store.write_seeding().await?;
        let mut added = 0;
        for (key, locale, description, subject, body) in DEFAULT_TEMPLATES {
            if tx.latest_template(key, locale).await?.is_none() {
                tx.insert_template(&Template {
                    id: Uuid::now_v7(),
                    key: key.to_string(),
                    locale: locale.to_string(),
                    version: 1,
                    description: description.to_string(),
                    subject: subject.to_string(),
                    body_text: body.to_string(),
                    body_html: None,
                    created_by: None,
                    created_at: self.now(),
                })
                .await?;
                added += 1;
            }
        }
        tx.commit().await?;
        Ok(added)
    }
}

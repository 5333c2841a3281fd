//! The configuration's tests: sources in order, every key, refusals by name.

use super::*;

#[test]
fn file_then_env_then_flags() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "t.toml",
            "addr = \"127.0.0.1:9000\"\nlog_format = \"json\"\nsession_hours = 8\n",
        )?;
        jail.set_env("TRIPDESK_SESSION_HOURS", "4");
        let c = Config::load(Some(Path::new("t.toml")), Overrides::default()).unwrap();
        assert_eq!(c.addr, "127.0.0.1:9000");
        assert_eq!(c.log_format, "json");
        assert_eq!(c.session_hours, 4, "env beats file");
        assert_eq!(c.key_file(), PathBuf::from("data/vault-keys.toml"));
        jail.set_env("TRIPDESK_VAULT_KEY_FILE", "/run/secrets/keys.toml");
        let c = Config::load(Some(Path::new("t.toml")), Overrides::default()).unwrap();
        assert_eq!(c.key_file(), PathBuf::from("/run/secrets/keys.toml"));
        let c = Config::load(
            Some(Path::new("t.toml")),
            Overrides {
                addr: Some("127.0.0.1:9100".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.addr, "127.0.0.1:9100", "flags beat everything");
        Ok(())
    });
}

#[test]
fn bad_values_are_named() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("bad.toml", "addr = \"nowhere\"\n")?;
        let e = Config::load(Some(Path::new("bad.toml")), Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("addr"), "{e}");
        jail.create_file("unknown.toml", "colour = \"red\"\n")?;
        let e = Config::load(Some(Path::new("unknown.toml")), Overrides::default()).unwrap_err();
        assert!(format!("{e:#}").contains("colour"), "{e:#}");
        let e = Config::load(Some(Path::new("missing.toml")), Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("does not exist"));
        jail.set_env("TRIPDESK_SMTP_URL", "smtp://127.0.0.1:2525");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("smtp_from"), "{e}");
        jail.set_env("TRIPDESK_SMTP_FROM", "客服 <service@example.com>");
        jail.set_env(
            "TRIPDESK_SMTP_URL",
            "smtps://user:s3cret@mail.example.com:465",
        );
        let c = Config::load(None, Overrides::default()).unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret"),
            "the SMTP password never prints: {shown}"
        );
        assert!(shown.contains("smtps://user:***@mail.example.com:465"));
        jail.set_env("TRIPDESK_SMTP_URL", "http://mail.example.com");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("smtp_url"), "{e}");
        jail.set_env("TRIPDESK_SMTP_URL", "");
        jail.set_env("TRIPDESK_SMS_BASE_URL", "ftp://sms.example.com");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("sms_base_url"), "{e}");
        jail.set_env("TRIPDESK_SMS_BASE_URL", "http://127.0.0.1:9");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("sms_access_key_id"), "{e}");
        jail.set_env("TRIPDESK_SMS_ACCESS_KEY_ID", "LTAI-test");
        jail.set_env("TRIPDESK_SMS_ACCESS_KEY_SECRET", "k3y-s3cret");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("sms_sign_name"), "{e}");
        jail.set_env("TRIPDESK_SMS_SIGN_NAME", "【云途旅行】");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("sms_template_code"), "{e}");
        jail.set_env("TRIPDESK_SMS_TEMPLATE_CODE", "SMS_123456789");
        jail.set_env("TRIPDESK_SMS_WEBHOOK_SECRET", "short");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("sms_webhook_secret"), "{e}");
        jail.set_env("TRIPDESK_SMS_WEBHOOK_SECRET", "hook-s3cret-0123456789");
        jail.set_env("TRIPDESK_SMS_RATE_PER_SEC", "0");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("sms_rate_per_sec"), "{e}");
        jail.set_env("TRIPDESK_SMS_RATE_PER_SEC", "50");
        let c = Config::load(None, Overrides::default()).unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("k3y-s3cret") && !shown.contains("hook-s3cret"),
            "{shown}"
        );
        let sms = c.sms_config().expect("configured");
        assert_eq!(
            tripdesk_delivery::sms::bare_sign_name(&sms.sign_name),
            "云途旅行"
        );
        jail.set_env("TRIPDESK_SMS_BASE_URL", "");
        assert!(Config::load(None, Overrides::default())
            .unwrap()
            .sms_config()
            .is_none());
        jail.set_env("TRIPDESK_DATABASE_URL", "mysql://x");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("postgres://"), "{e}");
        Ok(())
    });
}

#[test]
fn wechat_settings_are_checked_and_never_print() {
    figment::Jail::expect_with(|jail| {
        assert!(Config::load(None, Overrides::default())
            .unwrap()
            .wechat_account()
            .unwrap()
            .is_none());
        jail.set_env("TRIPDESK_WECHAT_APP_ID", "wx2c2769f8efd9abc2");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("wechat_token"), "{e:#}");
        jail.set_env("TRIPDESK_WECHAT_TOKEN", "no spaces!");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(
            format!("{e:#}").contains("wechat_encoding_aes_key"),
            "{e:#}"
        );
        jail.set_env("TRIPDESK_WECHAT_ENCODING_AES_KEY", "tooshort");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(format!("{e:#}").contains("43 characters"), "{e:#}");
        jail.set_env(
            "TRIPDESK_WECHAT_ENCODING_AES_KEY",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        );
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(format!("{e:#}").contains("3 to 32 letters"), "{e:#}");
        jail.set_env("TRIPDESK_WECHAT_TOKEN", "spamtest");
        let c = Config::load(None, Overrides::default()).unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("spamtest") && !shown.contains("ABCDEFG"),
            "{shown}"
        );
        let account = c.wechat_account().unwrap().expect("configured");
        assert_eq!(account.safe_mode().unwrap().app_id(), "wx2c2769f8efd9abc2");
        // Plaintext mode only: the token alone.
        jail.set_env("TRIPDESK_WECHAT_ENCODING_AES_KEY", "");
        jail.set_env("TRIPDESK_WECHAT_APP_ID", "");
        let c = Config::load(None, Overrides::default()).unwrap();
        assert!(c.wechat_account().unwrap().unwrap().safe_mode().is_none());
        assert!(
            c.wechat_config().is_none(),
            "no AppSecret: no replies on WeChat"
        );
        // Replies: the AppSecret needs the AppID, never prints, WeChat's API by default.
        jail.set_env("TRIPDESK_WECHAT_APP_SECRET", "wechat-app-s3cret");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(format!("{e:#}").contains("wechat_app_id"), "{e:#}");
        jail.set_env("TRIPDESK_WECHAT_APP_ID", "wx2c2769f8efd9abc2");
        let c = Config::load(None, Overrides::default()).unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
        let w = c.wechat_config().expect("replies configured");
        assert_eq!(w.base_url, "https://api.weixin.qq.com");
        assert!(c.wechat_account().unwrap().unwrap().safe_mode().is_none());
        jail.set_env("TRIPDESK_WECHAT_API_BASE_URL", "ftp://x");
        let e = Config::load(None, Overrides::default()).unwrap_err();
        assert!(format!("{e:#}").contains("wechat_api_base_url"), "{e:#}");
        Ok(())
    });
}

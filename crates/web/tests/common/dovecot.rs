//! A real Dovecot IMAP server on a loopback port for the email tests: started as a child
//! process with its own configuration in a temporary directory (passwd-file users with plain
//! passwords, a maildir per user), stopped when dropped. Missing Dovecot is a failure that
//! names the package, never a skip.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Dovecot {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn output(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().expect(cmd);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Dovecot {
    /// Starts Dovecot with these (user, password) accounts.
    pub fn start(users: &[(&str, &str)]) -> Self {
        let binary = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or_else(|| {
                panic!(
                    "Dovecot is not installed: the email tests run a real IMAP server. \
                     Install it with `apt-get install -y dovecot-imapd dovecot-lmtpd`"
                )
            });
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        // Dovecot never gives mail access to uid 0: as root, the mail belongs to nobody;
        // otherwise everything runs as the current user.
        let uid: u32 = output("id", &["-u"]).parse().unwrap();
        let (mail_uid, mail_gid, service_users) = if uid == 0 {
            std::os::unix::fs::chown(root.join("mail"), Some(65534), Some(65534)).unwrap();
            (65534, 65534, String::new())
        } else {
            let user = output("id", &["-un"]);
            let gid: u32 = output("id", &["-g"]).parse().unwrap();
            (
                uid,
                gid,
                format!(
                    "default_internal_user = {user}\ndefault_internal_group = {}\n\
                     default_login_user = {user}\n",
                    output("id", &["-gn"])
                ),
            )
        };
        let passwd: String = users
            .iter()
            .map(|(u, p)| format!("{u}:{{PLAIN}}{p}::::::\n"))
            .collect();
        std::fs::write(root.join("passwd"), passwd).unwrap();
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let r = root.display();
        let config = format!(
            "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\n\
             ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             listen = 127.0.0.1\nprotocols = imap\nmail_location = maildir:{r}/mail/%u\n\
             mailbox_idle_check_interval = 1 secs\n\
             {service_users}\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/passwd\n}}\n\
             userdb {{\n  driver = passwd-file\n  args = username_format=%u {r}/passwd\n  \
             default_fields = uid={mail_uid} gid={mail_gid} home={r}/mail/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    \
             port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), config).unwrap();
        let child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot");
        let this = Self { port, child, dir };
        let until = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < until,
                "dovecot did not listen on {port}: {}",
                this.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        this
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    async fn session(
        &self,
        user: &str,
        password: &str,
    ) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap().unwrap();
        client.login(user, password).await.map_err(|e| e.0).unwrap()
    }

    /// Delivers a mail into the user's INBOX (IMAP APPEND, as a mail server would drop it).
    pub async fn deliver(&self, user: &str, password: &str, mail: &[u8]) {
        let mut s = self.session(user, password).await;
        s.append("INBOX", None, None, mail).await.unwrap();
        s.logout().await.unwrap();
    }

    /// Every mail in the user's INBOX, in UID order.
    pub async fn inbox(&self, user: &str, password: &str) -> Vec<Vec<u8>> {
        use futures_util::TryStreamExt;
        let mut s = self.session(user, password).await;
        let mb = s.examine("INBOX").await.unwrap();
        let mut out = Vec::new();
        if mb.exists > 0 {
            let fetched: Vec<_> = s
                .fetch("1:*", "BODY.PEEK[]")
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            for f in fetched {
                out.push(f.body().unwrap().to_vec());
            }
        }
        s.logout().await.unwrap();
        out
    }
}

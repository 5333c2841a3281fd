//! Safe mode (安全模式) and compatible mode (兼容模式): the message body encrypted with the
//! account's EncodingAESKey.
//!
//! - The EncodingAESKey is 43 base64 characters; with a `=` appended they decode to the 32-byte
//!   AES key. The IV is the key's first 16 bytes.
//! - AES-256-CBC, padded PKCS#7-style to a multiple of **32** bytes (WeChat's block size for the
//!   padding, not AES's 16): 1 to 32 bytes, each holding the pad length.
//! - The plaintext is 16 random bytes, the message length as 4 bytes big-endian, the message,
//!   and the AppID; a message whose AppID differs is refused.
//! - The ciphertext travels as standard base64 (the `Encrypt` field).

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};

use crate::WechatError;

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

/// WeChat's padding block.
pub const PAD_BLOCK: usize = 32;
/// The largest message accepted inside the encryption (WeChat's pushes are a few KiB).
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Base64 of the largest ciphertext a message of [`MAX_MESSAGE`] bytes can give.
const MAX_ENCRYPTED_B64: usize = (MAX_MESSAGE + 16 + 4 + 128 + PAD_BLOCK).div_ceil(3) * 4;

/// The EncodingAESKey's last character carries 2 bits past the key; WeChat's own samples
/// (`abc…EFG`) set them, so they are allowed. Padding may be present or absent.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const STANDARD: GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// An account's safe-mode key and AppID.
#[derive(Clone)]
pub struct SafeMode {
    key: [u8; 32],
    app_id: String,
}

impl std::fmt::Debug for SafeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafeMode")
            .field("key", &"<redacted>")
            .field("app_id", &self.app_id)
            .finish()
    }
}

impl SafeMode {
    /// From the 43-character EncodingAESKey and the account's AppID, as set on the WeChat
    /// platform's developer page.
    pub fn new(encoding_aes_key: &str, app_id: &str) -> Result<Self, WechatError> {
        if encoding_aes_key.len() != 43 {
            return Err(WechatError::BadKey);
        }
        let bytes = LENIENT
            .decode(encoding_aes_key)
            .map_err(|_| WechatError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| WechatError::BadKey)?;
        if app_id.is_empty() {
            return Err(WechatError::BadField("AppID"));
        }
        Ok(Self {
            key,
            app_id: app_id.to_owned(),
        })
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }

    /// Encrypts a message (a reply's XML) for WeChat; `random` is the 16-byte prefix, which the
    /// caller draws from a CSPRNG (tests pass the samples' fixed one).
    pub fn encrypt(&self, random: [u8; 16], message: &str) -> String {
        let message = message.as_bytes();
        let app_id = self.app_id.as_bytes();
        let body = 16 + 4 + message.len() + app_id.len();
        let pad = PAD_BLOCK - body % PAD_BLOCK; // 1..=32: a full block when already aligned
        let mut buf = Vec::with_capacity(body + pad);
        buf.extend_from_slice(&random);
        buf.extend_from_slice(&(message.len() as u32).to_be_bytes());
        buf.extend_from_slice(message);
        buf.extend_from_slice(app_id);
        buf.resize(body + pad, pad as u8);
        let len = buf.len();
        let cipher = Encryptor::new(&self.key.into(), &self.iv().into());
        cipher
            .encrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut buf, len)
            .expect("the buffer is a whole number of blocks");
        STANDARD.encode(&buf)
    }

    /// Decrypts an `Encrypt` field (or a safe-mode `echostr`) and checks its AppID.
    pub fn decrypt(&self, encrypted: &str) -> Result<String, WechatError> {
        let encrypted = encrypted.trim();
        if encrypted.len() > MAX_ENCRYPTED_B64 {
            return Err(WechatError::TooLarge { limit: MAX_MESSAGE });
        }
        let mut buf = LENIENT
            .decode(encrypted)
            .map_err(|_| WechatError::BadBase64)?;
        if buf.is_empty() || buf.len() % PAD_BLOCK != 0 {
            return Err(WechatError::BadCiphertextLength);
        }
        let cipher = Decryptor::new(&self.key.into(), &self.iv().into());
        let plain = cipher
            .decrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut buf)
            .map_err(|_| WechatError::BadCiphertextLength)?;
        let message = unframe(plain)?;
        let (message, app_id) = message;
        if app_id != self.app_id.as_bytes() {
            return Err(WechatError::WrongAppId);
        }
        String::from_utf8(message.to_vec()).map_err(|_| WechatError::NotUtf8)
    }
}

/// Removes the padding and the frame: returns the message and the AppID that follows it.
fn unframe(plain: &[u8]) -> Result<(&[u8], &[u8]), WechatError> {
    let pad = *plain.last().ok_or(WechatError::BadPadding)? as usize;
    if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
        return Err(WechatError::BadPadding);
    }
    let (unpadded, padding) = plain.split_at(plain.len() - pad);
    if padding.iter().any(|&b| b as usize != pad) {
        return Err(WechatError::BadPadding);
    }
    let rest = unpadded.get(16..).ok_or(WechatError::Truncated)?;
    let (len, rest) = rest.split_at_checked(4).ok_or(WechatError::Truncated)?;
    let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
    if len > MAX_MESSAGE {
        return Err(WechatError::TooLarge { limit: MAX_MESSAGE });
    }
    rest.split_at_checked(len).ok_or(WechatError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    fn mode() -> SafeMode {
        SafeMode::new(KEY, "wx0123456789abcdef").unwrap()
    }

    /// Encrypts raw bytes the way `encrypt` does, so tests can build bad plaintexts.
    fn seal_raw(mode: &SafeMode, mut plain: Vec<u8>) -> String {
        let len = plain.len();
        let cipher = Encryptor::new(&mode.key.into(), &mode.iv().into());
        cipher
            .encrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut plain, len)
            .unwrap();
        STANDARD.encode(plain)
    }

    #[test]
    fn the_key_must_be_43_base64_characters() {
        assert_eq!(
            SafeMode::new("abcde", "wx1").unwrap_err(),
            WechatError::BadKey
        );
        assert_eq!(
            SafeMode::new(&format!("{}=", &KEY[..42]), "wx1").unwrap_err(),
            WechatError::BadKey
        );
        assert_eq!(
            SafeMode::new(&KEY.replace('a', "*"), "wx1").unwrap_err(),
            WechatError::BadKey
        );
        assert!(format!("{:?}", mode()).contains("<redacted>"));
    }

    #[test]
    fn an_aligned_message_gets_a_whole_block_of_padding() {
        let m = mode();
        // 16 + 4 + 26 + 18 = 64: a multiple of 32, so 32 bytes of padding follow.
        let sealed = m.encrypt([7; 16], "abcdefghijklmnopqrstuvwxyz");
        assert_eq!(STANDARD.decode(&sealed).unwrap().len(), 96);
        assert_eq!(m.decrypt(&sealed).unwrap(), "abcdefghijklmnopqrstuvwxyz");
    }

    #[test]
    fn another_accounts_message_is_refused() {
        let sealed = mode().encrypt([1; 16], "<xml/>");
        let other = SafeMode::new(KEY, "wx_other").unwrap();
        assert_eq!(other.decrypt(&sealed), Err(WechatError::WrongAppId));
    }

    #[test]
    fn bad_padding_is_refused() {
        let m = mode();
        let mut frame = vec![0u8; 16];
        frame.extend_from_slice(&2u32.to_be_bytes());
        frame.extend_from_slice(b"hi");
        frame.extend_from_slice(m.app_id().as_bytes());
        let body = frame.len(); // 40
                                // 24 bytes of padding, one of them wrong.
        frame.resize(body + 24, 24);
        frame[body + 3] = 23;
        assert_eq!(
            m.decrypt(&seal_raw(&m, frame.clone())),
            Err(WechatError::BadPadding)
        );
        // A pad byte of zero, and one larger than WeChat's 32-byte block.
        frame[body..].fill(0);
        assert_eq!(
            m.decrypt(&seal_raw(&m, frame.clone())),
            Err(WechatError::BadPadding)
        );
        let mut long = frame[..body].to_vec();
        long.resize(body + 56, 33);
        assert_eq!(m.decrypt(&seal_raw(&m, long)), Err(WechatError::BadPadding));
    }

    #[test]
    fn a_truncated_ciphertext_is_refused() {
        let m = mode();
        let sealed = STANDARD
            .decode(m.encrypt([3; 16], "a message long enough for three blocks of 32"))
            .unwrap();
        // Cut inside a block: not a whole number of blocks.
        let cut = STANDARD.encode(&sealed[..sealed.len() - 5]);
        assert_eq!(m.decrypt(&cut), Err(WechatError::BadCiphertextLength));
        // Cut at a block boundary: the padding is gone (or the length points past the end).
        let cut = STANDARD.encode(&sealed[..sealed.len() - 32]);
        assert!(matches!(
            m.decrypt(&cut),
            Err(WechatError::BadPadding | WechatError::Truncated)
        ));
        assert_eq!(m.decrypt(""), Err(WechatError::BadCiphertextLength));
        assert_eq!(m.decrypt("not base64!"), Err(WechatError::BadBase64));
    }

    #[test]
    fn a_length_past_the_end_is_refused() {
        let m = mode();
        let mut frame = vec![0u8; 16];
        frame.extend_from_slice(&1000u32.to_be_bytes());
        frame.extend_from_slice(b"short");
        frame.extend_from_slice(m.app_id().as_bytes());
        let pad = PAD_BLOCK - frame.len() % PAD_BLOCK;
        frame.resize(frame.len() + pad, pad as u8);
        assert_eq!(m.decrypt(&seal_raw(&m, frame)), Err(WechatError::Truncated));
    }

    #[test]
    fn an_oversized_ciphertext_is_refused_before_decoding() {
        let huge = "A".repeat(MAX_ENCRYPTED_B64 + 4);
        assert_eq!(
            mode().decrypt(&huge),
            Err(WechatError::TooLarge { limit: MAX_MESSAGE })
        );
    }

    proptest! {
        #[test]
        fn encrypt_then_decrypt_gives_the_message_back(
            random in any::<[u8; 16]>(),
            message in ".{0,600}",
            app_id in "wx[0-9a-f]{16}",
        ) {
            let m = SafeMode::new(KEY, &app_id).unwrap();
            let sealed = m.encrypt(random, &message);
            prop_assert_eq!(STANDARD.decode(&sealed).unwrap().len() % PAD_BLOCK, 0);
            prop_assert_eq!(m.decrypt(&sealed).unwrap(), message);
        }
    }
}

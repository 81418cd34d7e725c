//! The crypto port on WebCrypto (`crypto.subtle`).
//!
//! Hand-rolled over web-sys because the pure-Rust `rsa` crate costs 4.3 s per RSA-2048 key and
//! about 27 ms per signature in the Worker (see BENCHMARKS.md), while WebCrypto runs natively.

use async_trait::async_trait;
use edgetube_ports::{Crypto, PortError, RsaKeyPair};
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

/// `crypto.subtle` of the running isolate.
pub struct WebCrypto {
    subtle: SubtleCrypto,
}

fn js_err(what: &str) -> impl Fn(JsValue) -> PortError + '_ {
    move |e| {
        PortError::invalid("crypto", format!("{what}: {}", e.as_string().unwrap_or_else(|| format!("{e:?}"))))
    }
}

fn object(pairs: &[(&str, JsValue)]) -> Result<Object, PortError> {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).map_err(js_err("building parameters"))?;
    }
    Ok(object)
}

fn usages(names: &[&str]) -> JsValue {
    names.iter().map(|n| JsValue::from_str(n)).collect::<Array>().into()
}

fn rsa_algorithm() -> Result<Object, PortError> {
    object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", "SHA-256".into())])
}

async fn resolve(promise: Result<js_sys::Promise, JsValue>, what: &str) -> Result<JsValue, PortError> {
    JsFuture::from(promise.map_err(js_err(what))?).await.map_err(js_err(what))
}

fn bytes_of(buffer: &JsValue) -> Vec<u8> {
    Uint8Array::new(buffer.unchecked_ref::<ArrayBuffer>()).to_vec()
}

impl WebCrypto {
    pub fn new() -> worker::Result<Self> {
        let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
        let crypto: web_sys::Crypto =
            crypto.dyn_into().map_err(|_| worker::Error::RustError("no crypto global".into()))?;
        Ok(Self { subtle: crypto.subtle() })
    }

    async fn import(&self, format: &str, der: &[u8], usage: &str) -> Result<CryptoKey, PortError> {
        let data = Uint8Array::from(der);
        let key = resolve(
            self.subtle.import_key_with_object(format, &data, &rsa_algorithm()?, false, &usages(&[usage])),
            "importKey",
        )
        .await?;
        Ok(key.unchecked_into())
    }
}

#[async_trait(?Send)]
impl Crypto for WebCrypto {
    async fn generate_rsa(&self, bits: usize) -> Result<RsaKeyPair, PortError> {
        let algorithm = object(&[
            ("name", "RSASSA-PKCS1-v1_5".into()),
            ("modulusLength", JsValue::from_f64(bits as f64)),
            ("publicExponent", Uint8Array::from(&[1u8, 0, 1][..]).into()),
            ("hash", "SHA-256".into()),
        ])?;
        let pair = resolve(
            self.subtle.generate_key_with_object(&algorithm, true, &usages(&["sign", "verify"])),
            "generateKey",
        )
        .await?;
        let key = |name: &str| -> Result<CryptoKey, PortError> {
            Ok(Reflect::get(&pair, &JsValue::from_str(name)).map_err(js_err("key pair"))?.unchecked_into())
        };
        let private =
            resolve(self.subtle.export_key("pkcs8", &key("privateKey")?), "exportKey pkcs8").await?;
        let public = resolve(self.subtle.export_key("spki", &key("publicKey")?), "exportKey spki").await?;
        Ok(RsaKeyPair { private_pkcs8_der: bytes_of(&private), public_spki_der: bytes_of(&public) })
    }

    async fn sign_rsa_sha256(&self, private_pkcs8_der: &[u8], message: &[u8]) -> Result<Vec<u8>, PortError> {
        let key = self.import("pkcs8", private_pkcs8_der, "sign").await?;
        let data = Uint8Array::from(message);
        let signature =
            resolve(self.subtle.sign_with_object_and_js_u8_array(&rsa_algorithm()?, &key, &data), "sign")
                .await?;
        Ok(bytes_of(&signature))
    }

    async fn verify_rsa_sha256(
        &self,
        public_spki_der: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, PortError> {
        let key = self.import("spki", public_spki_der, "verify").await?;
        let verdict = resolve(
            self.subtle.verify_with_object_and_js_u8_array_and_js_u8_array(
                &rsa_algorithm()?,
                &key,
                &Uint8Array::from(signature),
                &Uint8Array::from(message),
            ),
            "verify",
        )
        .await?;
        Ok(verdict.as_bool().unwrap_or(false))
    }

    async fn pbkdf2_sha256(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], PortError> {
        let key: CryptoKey = resolve(
            self.subtle.import_key_with_str(
                "raw",
                &Uint8Array::from(password),
                "PBKDF2",
                false,
                &usages(&["deriveBits"]),
            ),
            "importKey PBKDF2",
        )
        .await?
        .unchecked_into();
        let params = object(&[
            ("name", "PBKDF2".into()),
            ("hash", "SHA-256".into()),
            ("salt", Uint8Array::from(salt).into()),
            ("iterations", JsValue::from_f64(f64::from(iterations))),
        ])?;
        let bits = resolve(self.subtle.derive_bits_with_object(&params, &key, 256), "deriveBits").await?;
        bytes_of(&bits)
            .try_into()
            .map_err(|_| PortError::invalid("crypto", "deriveBits returned a wrong length"))
    }

    fn random_bytes(&self, len: usize) -> Result<Vec<u8>, PortError> {
        let mut out = vec![0u8; len];
        getrandom::getrandom(&mut out).map_err(|e| PortError::unavailable("crypto", e.to_string()))?;
        Ok(out)
    }
}

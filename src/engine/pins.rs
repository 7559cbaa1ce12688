//! PIN hashing with Argon2id. A PIN is short, so the lockout (five wrong tries,
//! 60 s) is what protects it online; the hash keeps it off the disk in clear.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

fn argon() -> Argon2<'static> {
    // 8 MiB, 2 passes: a few milliseconds on a Raspberry Pi 4, so checking a
    // PIN never stalls the till, while still far from free to brute-force.
    let params = Params::new(8 * 1024, 2, 1, None).expect("constant argon2 params are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_pin(pin: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon()
        .hash_password(pin.as_bytes(), &salt)
        .expect("argon2 hashing of a short PIN with valid params cannot fail")
        .to_string()
}

/// False for a wrong PIN or an unreadable stored hash.
pub fn verify_pin(pin: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => argon().verify_password(pin.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

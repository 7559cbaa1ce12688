//! In-store tenders: how a cashier settles an order (cash, card, scan, voucher, other).

use super::money::Fen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Cash,
    Card,
    Scan,
    Voucher,
    Other,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Cash,
        Method::Card,
        Method::Scan,
        Method::Voucher,
        Method::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::Card => "card",
            Method::Scan => "scan",
            Method::Voucher => "voucher",
            Method::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A tender as the cashier enters it. `amount` is what it pays toward the
/// order; for cash, `tendered` is what the customer handed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderInput {
    pub method: Method,
    pub amount: Fen,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tendered: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A tender as recorded after the engine accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    pub method: Method,
    pub amount: Fen,
    pub tendered: Fen,
    pub change: Fen,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// How cash is rounded when it completes an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CashRounding {
    #[default]
    Fen,
    Jiao,
}

impl CashRounding {
    pub fn apply(self, due: Fen) -> Fen {
        match self {
            CashRounding::Fen => due,
            CashRounding::Jiao => due.round_to_jiao(),
        }
    }
}

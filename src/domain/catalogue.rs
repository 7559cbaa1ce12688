//! The error-code catalogue: what a payment channel's error code means, in
//! Chinese and English plain words, and what the cashier should do next.
//! Pure data; the console's log and cashier screens read it.

/// One known code: its meaning and the next step, in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: &'static str,
    /// Short meaning in Chinese (`银行系统异常`).
    pub zh: &'static str,
    /// What to do, in Chinese.
    pub zh_action: &'static str,
    /// Short meaning in English (`bank system error`).
    pub en: &'static str,
    /// What to do, in English.
    pub en_action: &'static str,
    /// The payment may still succeed: re-check before taking money.
    pub may_still_succeed: bool,
}

macro_rules! code {
    ($code:expr, $zh:expr, $zha:expr, $en:expr, $ena:expr, $open:expr) => {
        CodeInfo {
            code: $code,
            zh: $zh,
            zh_action: $zha,
            en: $en,
            en_action: $ena,
            may_still_succeed: $open,
        }
    };
}

/// Every code the console explains. WeChat Pay codes, Alipay `ACQ.*` codes,
/// the platform's `TIMEOUT`, and the trade states shown when no code came.
#[rustfmt::skip]
pub const CATALOGUE: &[CodeInfo] = &[
    code!("BANKERROR", "银行系统异常", "请顾客换一种方式付款", "bank system error", "ask the customer to pay another way", false),
    code!("NOTENOUGH", "余额不足", "请顾客换卡或换一种方式付款", "balance not enough", "ask the customer to use another card or pay another way", false),
    code!("SYSTEMERROR", "支付系统繁忙", "结果未定：先重新查询，再收款", "payment system error", "the outcome is open: re-check before taking money", true),
    code!("TIMEOUT", "支付渠道超时", "结果未定：先重新查询，再收款", "the channel did not answer in time", "the outcome is open: re-check before taking money", true),
    code!("USERPAYING", "顾客正在输入密码", "请稍候，再重新查询", "the customer is entering the password", "wait, then re-check", true),
    code!("ORDERCLOSED", "订单已关闭", "请顾客重新下单，或在收银台收款", "the payment was closed", "take payment at the counter", false),
    code!("ORDERPAID", "订单已支付", "无需再收款，请核对", "already paid", "take no money: check the order", false),
    code!("PAYERROR", "支付失败", "请顾客换一种方式付款", "payment failed", "ask the customer to pay another way", false),
    code!("AUTHCODEEXPIRE", "付款码已过期", "请顾客刷新付款码后重扫", "the pay code has expired", "ask the customer to refresh the code and scan again", false),
    code!("AUTH_CODE_INVALID", "付款码无效", "请顾客刷新付款码后重扫", "the pay code is not valid", "ask the customer to refresh the code and scan again", false),
    code!("NOAUTH", "商户无此支付权限", "请顾客换一种方式付款，并告知店长", "the store may not take this payment", "ask the customer to pay another way and tell the manager", false),
    code!("FREQUENCY_LIMITED", "支付过于频繁", "稍等一分钟再试，或换一种方式", "too many payments at once", "wait a minute or pay another way", false),
    code!("BUYER_MISMATCH", "付款人不一致", "请原付款人完成付款", "a different payer", "the original payer must finish paying", false),
    code!("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足", "请顾客换卡或换一种方式付款", "the buyer's balance is not enough", "ask the customer to use another card or pay another way", false),
    code!("ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH", "银行卡余额不足", "请顾客换卡或换一种方式付款", "the bank card's balance is not enough", "ask the customer to use another card or pay another way", false),
    code!("ACQ.PAYMENT_AUTH_CODE_INVALID", "付款码无效", "请顾客刷新付款码后重扫", "the pay code is not valid", "ask the customer to refresh the code and scan again", false),
    code!("ACQ.SYSTEM_ERROR", "支付宝系统异常", "结果未定：先重新查询，再收款", "Alipay system error", "the outcome is open: re-check before taking money", true),
    code!("ACQ.TRADE_HAS_CLOSE", "交易已关闭", "请在收银台收款", "the trade is closed", "take payment at the counter", false),
    code!("ACQ.TRADE_HAS_SUCCESS", "交易已成功", "无需再收款，请核对", "the trade already succeeded", "take no money: check the order", false),
    code!("ACQ.PAYMENT_FAIL", "支付失败", "请顾客换一种方式付款", "payment failed", "ask the customer to pay another way", false),
    code!("ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR", "超出当日支付限额", "请顾客换一种方式付款", "the buyer's daily limit is reached", "ask the customer to pay another way", false),
    code!("ACQ.ERROR_BALANCE_PAYMENT_DISABLE", "余额支付已关闭", "请顾客换一种方式付款", "balance payment is turned off", "ask the customer to pay another way", false),
    code!("ACQ.CONTEXT_INCONSISTENT", "交易信息不一致", "请顾客重新下单，或在收银台收款", "the payment details do not match", "take payment at the counter", false),
    code!("CLOSED", "支付已关闭（超时或顾客离开）", "请在收银台收款", "payment closed (timed out or the customer left)", "take payment at the counter", false),
    code!("REVOKED", "支付已撤销", "请在收银台收款", "payment revoked", "take payment at the counter", false),
    code!("NOTPAY", "尚未支付", "请顾客完成付款，或在收银台收款", "not paid yet", "ask the customer to finish paying, or take payment here", true),
];

/// The entry for a code (exact match, case-insensitive).
pub fn explain(code: &str) -> Option<&'static CodeInfo> {
    let code = code.trim();
    CATALOGUE.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// A one-line reason for a code in the chosen language: the catalogue's words,
/// or the channel's own message and the code when the code is unknown.
pub fn reason(code: &str, channel_message: Option<&str>, chinese: bool) -> String {
    match explain(code) {
        Some(c) if chinese => format!("{} {}：{}", c.zh, c.code, c.zh_action),
        Some(c) => format!("{} {}: {}", c.code, c.en, c.en_action),
        None => {
            let msg = channel_message.filter(|m| !m.trim().is_empty());
            match (msg, chinese) {
                (Some(m), true) => format!("{m} {code}：请顾客换一种方式付款"),
                (Some(m), false) => format!("{code} ({m}): ask the customer to pay another way"),
                (None, true) => format!("未知错误 {code}：请顾客换一种方式付款"),
                (None, false) => {
                    format!("{code} unknown error: ask the customer to pay another way")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bank_error_tells_the_cashier_to_ask_for_another_way() {
        let c = explain("BANKERROR").expect("BANKERROR is known");
        assert_eq!(c.zh, "银行系统异常");
        assert_eq!(
            reason("BANKERROR", None, false),
            "BANKERROR bank system error: ask the customer to pay another way"
        );
    }

    #[test]
    fn open_outcomes_are_the_ones_the_payment_rules_treat_as_open() {
        for code in ["TIMEOUT", "SYSTEMERROR", "USERPAYING"] {
            assert!(explain(code).is_some_and(|c| c.may_still_succeed), "{code}");
        }
        assert!(!explain("NOTENOUGH").is_some_and(|c| c.may_still_succeed));
    }

    #[test]
    fn an_unknown_code_keeps_the_channels_message() {
        assert_eq!(
            reason("XYZ", Some("奇怪的错误"), true),
            "奇怪的错误 XYZ：请顾客换一种方式付款"
        );
    }

    #[test]
    fn every_code_appears_once() {
        let mut seen = std::collections::HashSet::new();
        for c in CATALOGUE {
            assert!(seen.insert(c.code), "{} twice", c.code);
        }
    }
}

//! What came out of the virtual printers, read back from the decoded text
//! of each job: which order, which station, kitchen ticket, add-on, cancel
//! or receipt, and whether it carries the "重打 REPRINT" mark.

use passline::sim::printer::ReceivedJob;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Kitchen,
    AddOn,
    Cancel,
    Receipt,
    /// A drawer kick or a piece too short to tell.
    Other,
}

#[derive(Debug, Clone)]
pub struct Printed {
    pub printer: String,
    pub kind: Kind,
    /// The order id line ("单号 …"): a ticket cut before it is a fragment.
    pub order: Option<String>,
    pub station: Option<String>,
    pub marked: bool,
    pub cut_off: bool,
}

/// A decoded line without its style tags (`[x2][b] A023` → `A023`).
fn plain(line: &str) -> &str {
    let mut s = line.trim_start();
    while s.starts_with('[') {
        match s.find(']') {
            Some(i) => s = s[i + 1..].trim_start(),
            None => break,
        }
    }
    s.trim()
}

pub fn read(printer: &str, stations: &[String], job: &ReceivedJob) -> Printed {
    let lines: Vec<&str> = job.text.iter().map(|l| plain(l)).collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    let order = lines.iter().find_map(|l| {
        let rest = l.split_once("单号 ")?.1;
        let rest = rest.strip_prefix("Order ").unwrap_or(rest);
        rest.split_whitespace().next().map(str::to_string)
    });
    let receipt = lines.iter().any(|l| l.starts_with("单号 Order "));
    let kind = if receipt {
        Kind::Receipt
    } else if has("退单 CANCEL") {
        Kind::Cancel
    } else if has("加菜 ADD-ON") {
        Kind::AddOn
    } else if order.is_some() || lines.iter().any(|l| stations.iter().any(|s| s == l)) {
        Kind::Kitchen
    } else {
        Kind::Other
    };
    let station = lines
        .iter()
        .find(|l| stations.iter().any(|s| s == *l))
        .map(|s| s.to_string());
    Printed {
        printer: printer.to_string(),
        kind,
        order,
        station: if receipt { None } else { station },
        marked: has("重打 REPRINT"),
        cut_off: job.cut_off,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn style_tags_are_not_text() {
        assert_eq!(plain("[x2][b] A023        桌12"), "A023        桌12");
        assert_eq!(plain("[b]               hot"), "hot");
    }
}

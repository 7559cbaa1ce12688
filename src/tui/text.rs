//! The console's words in 简体中文 and English, chosen by `[ui] language`.
//! One struct of `&'static str` per language, so a missing word is a compile error.

use crate::config::Language;
use crate::domain::staff::PIN_LOCK_AFTER;
use crate::domain::Refusal;
use crate::domain::{Channel, Dining, Method, PaymentSummary, Role};
use crate::engine::EngineError;

pub struct Words {
    pub chinese: bool,
    // screens
    pub rail: &'static str,
    pub cashier: &'static str,
    pub alerts: &'static str,
    pub log: &'static str,
    pub printers: &'static str,
    pub reprinted: &'static str,
    pub no_jobs: &'static str,
    pub preview: &'static str,
    pub help: &'static str,
    pub sign_in: &'static str,
    // status bar
    pub feed: &'static str,
    pub online: &'static str,
    pub reconnecting_in: &'static str,
    pub offline_since: &'static str,
    pub unauthorized: &'static str,
    pub feed_off: &'static str,
    pub waiting_jobs: &'static str,
    pub not_signed_in: &'static str,
    pub open_alerts: &'static str,
    // sign-in
    pub staff_id: &'static str,
    pub pin: &'static str,
    pub sign_in_hint: &'static str,
    pub welcome: &'static str,
    // rail
    pub all_day: &'static str,
    pub all_stations: &'static str,
    pub station: &'static str,
    pub rail_empty: &'static str,
    pub more_cards: &'static str,
    pub ready_shelf: &'static str,
    pub typed: &'static str,
    pub bumped: &'static str,
    pub recalled: &'static str,
    pub served: &'static str,
    pub no_such_card: &'static str,
    pub table: &'static str,
    // cashier
    pub col_pickup: &'static str,
    pub col_table: &'static str,
    pub col_channel: &'static str,
    pub col_amount: &'static str,
    pub col_payment: &'static str,
    pub col_age: &'static str,
    pub col_reason: &'static str,
    pub no_orders: &'static str,
    pub paid_twice: &'static str,
    pub paying_long: &'static str,
    // settle
    pub settle: &'static str,
    pub due: &'static str,
    pub still_due: &'static str,
    pub method: &'static str,
    pub tendered: &'static str,
    pub change: &'static str,
    pub split_so_far: &'static str,
    pub settle_keys: &'static str,
    pub cashier_pin: &'static str,
    pub pin_keys: &'static str,
    pub outcome_open: &'static str,
    pub outcome_keys: &'static str,
    pub settled: &'static str,
    pub recheck_sent: &'static str,
    pub bad_amount: &'static str,
    // manager dialogs
    pub void_order: &'static str,
    pub reason: &'static str,
    pub manager_id: &'static str,
    pub manager_pin: &'static str,
    pub manager_keys: &'static str,
    pub resolve_double: &'static str,
    pub refund_in_store: &'static str,
    pub refund_online: &'static str,
    pub note: &'static str,
    pub voided: &'static str,
    pub resolved: &'static str,
    // alerts
    pub alert_failed: &'static str,
    pub alert_double: &'static str,
    pub alert_paying: &'static str,
    pub alert_printer: &'static str,
    pub alert_feed: &'static str,
    pub alert_quarantine: &'static str,
    pub alert_pins: &'static str,
    pub do_failed: &'static str,
    pub do_double: &'static str,
    pub do_paying: &'static str,
    pub do_printer: &'static str,
    pub do_feed: &'static str,
    pub do_quarantine: &'static str,
    pub do_pins: &'static str,
    pub jump: &'static str,
    pub open_order: &'static str,
    pub no_alerts: &'static str,
    pub alert_keys: &'static str,
    // log
    pub recent_events: &'static str,
    pub codes_today: &'static str,
    pub no_codes: &'static str,
    // printer states
    pub printer_ok: &'static str,
    pub printer_unknown: &'static str,
    pub printer_offline: &'static str,
    pub paper_out: &'static str,
    pub cover_open: &'static str,
    pub printer_error: &'static str,
    // help
    pub help_title: &'static str,
    pub keys_global: &'static [(&'static str, &'static str)],
    pub keys_sign_in: &'static [(&'static str, &'static str)],
    pub keys_rail: &'static [(&'static str, &'static str)],
    pub keys_cashier: &'static [(&'static str, &'static str)],
    pub keys_alerts: &'static [(&'static str, &'static str)],
    pub keys_log: &'static [(&'static str, &'static str)],
    pub keys_printers: &'static [(&'static str, &'static str)],
    pub keys_report: &'static [(&'static str, &'static str)],
    // shift report
    pub report: &'static str,
    pub report_keys: &'static str,
    pub report_printed: &'static str,
    pub no_receipt_printer: &'static str,
    pub open_shift: &'static str,
    pub no_shift: &'static str,
    pub close_shift: &'static str,
    pub float_yuan: &'static str,
    pub your_pin: &'static str,
    pub yuan: &'static str,
    pub counted: &'static str,
    pub over_short: &'static str,
    pub confirm_open: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub shift_keys: &'static str,
    pub shift_opened: &'static str,
    pub shift_closed: &'static str,
    pub keys_shift: &'static [(&'static str, &'static str)],
    pub keys_settle: &'static [(&'static str, &'static str)],
    pub keys_manager: &'static [(&'static str, &'static str)],
}

pub static ZH: Words = Words {
    chinese: true,
    rail: "厨房",
    cashier: "收银",
    alerts: "警报",
    log: "日志",
    printers: "打印",
    reprinted: "已重打",
    no_jobs: "还没有打印任务",
    preview: "打印预览",
    help: "帮助",
    sign_in: "登录",
    feed: "网络",
    online: "在线",
    reconnecting_in: "重连",
    offline_since: "离线自",
    unauthorized: "未授权:检查令牌",
    feed_off: "单机",
    waiting_jobs: "张待打",
    not_signed_in: "未登录",
    open_alerts: "警报",
    staff_id: "工号",
    pin: "密码",
    sign_in_hint: "输入工号和密码, Enter 确认, Tab 切换",
    welcome: "欢迎",
    all_day: "全天",
    all_stations: "全部",
    station: "档口",
    rail_empty: "没有待做的单",
    more_cards: "张单未显示",
    ready_shelf: "待取",
    typed: "输入",
    bumped: "已出单",
    recalled: "已召回",
    served: "已取餐",
    no_such_card: "没有这张单",
    table: "桌",
    col_pickup: "取餐号",
    col_table: "桌号",
    col_channel: "渠道",
    col_amount: "金额",
    col_payment: "付款",
    col_age: "时长",
    col_reason: "原因",
    no_orders: "今天还没有订单",
    paid_twice: "重复付款:请经理处理",
    paying_long: "付款中太久:请询问顾客",
    settle: "结账",
    due: "应付",
    still_due: "还差",
    method: "方式",
    tendered: "收到",
    change: "找零",
    split_so_far: "已加",
    settle_keys: "[c]现金 [k]刷卡 [s]扫码 [v]券 [o]其他  [+]再加一种  Enter确认  Esc取消",
    cashier_pin: "收银员密码",
    pin_keys: "输入密码后 Enter 收款, Esc 返回",
    outcome_open: "线上付款可能仍会成功!先重新查询,避免重复收款",
    outcome_keys: "[r]重新查询  Enter仍然收款  Esc取消",
    settled: "已收款, 找零",
    recheck_sent: "已请求重新查询",
    bad_amount: "金额不对:请输入如 100 或 56.50",
    void_order: "作废订单",
    reason: "原因",
    manager_id: "经理工号",
    manager_pin: "经理密码",
    manager_keys: "Tab切换  Enter确认  Esc取消",
    resolve_double: "处理重复付款",
    refund_in_store: "现场退款",
    refund_online: "线上退回",
    note: "备注",
    voided: "已作废",
    resolved: "已处理重复付款",
    alert_failed: "付款失败",
    alert_double: "重复付款",
    alert_paying: "付款中太久",
    alert_printer: "打印机故障",
    alert_feed: "网络断开",
    alert_quarantine: "收到无法读取的消息",
    alert_pins: "密码被多次试错已锁定",
    do_failed: "请顾客换一种方式付款",
    do_double: "请经理处理重复付款",
    do_paying: "询问顾客,再重新查询",
    do_printer: "检查打印机的纸和盖子",
    do_feed: "检查网络;订单会在恢复后补齐",
    do_quarantine: "可能漏单:请核对平台订单",
    do_pins: "经理核实后解锁: passline staff unlock 工号",
    jump: "处理",
    open_order: "Enter: 打开这张单",
    no_alerts: "没有警报",
    alert_keys: "上下选择  Enter处理  [x]确认已知",
    recent_events: "最近事件",
    codes_today: "今日错误码",
    no_codes: "今天没有付款错误",
    printer_ok: "正常",
    printer_unknown: "未连接",
    printer_offline: "离线",
    paper_out: "缺纸",
    cover_open: "开盖",
    printer_error: "故障",
    help_title: "按键",
    keys_global: &[
        ("Tab", "切换屏幕"),
        ("F2-F7", "厨房 收银 警报 日志 报表 打印"),
        ("j", "处理最新警报"),
        ("?", "帮助"),
        ("F12", "退出登录"),
        ("Ctrl-C", "退出"),
    ],
    keys_sign_in: &[("0-9", "工号和密码"), ("Tab", "下一项"), ("Enter", "登录")],
    keys_rail: &[
        ("数字 Enter", "出单:1-2位=卡号, 3位以上=取餐号"),
        ("方向键", "选择卡片"),
        ("Enter", "出选中的单或菜"),
        ("+", "选择单道菜"),
        ("-", "召回上一张"),
        ("*", "切换档口"),
        (".", "取餐(待取最早的, 或输入的号)"),
    ],
    keys_cashier: &[
        ("上下 PgUp PgDn", "选择订单"),
        ("Enter", "结账"),
        ("r", "重新查询线上付款"),
        ("v", "作废(经理)"),
        ("d", "处理重复付款(经理)"),
        ("n", "柜台点单(编码或拼音首字母)"),
    ],
    keys_alerts: &[
        ("上下", "选择"),
        ("Enter", "去处理"),
        ("x", "确认已知(消息类)"),
    ],
    keys_log: &[("上下 PgUp PgDn", "翻看")],
    keys_printers: &[
        ("上下 PgUp PgDn", "选任务, 右边是打出来的样子"),
        ("Enter", "重打所选任务 (标 重打 REPRINT)"),
        ("F7", "打印屏"),
    ],
    keys_report: &[
        ("F6", "报表"),
        ("上下 PgUp PgDn", "翻看"),
        ("r", "重新计算"),
        ("p", "在小票打印机打印"),
        ("o", "开班(备用金)"),
        ("c", "交班(点钱箱, 经理密码)"),
    ],
    open_shift: "开班",
    no_shift: "还没有班次: 按 o 输入备用金开班",
    close_shift: "交班",
    float_yuan: "备用金(元)",
    your_pin: "你的密码",
    yuan: "元",
    counted: "实点",
    over_short: "长短款",
    confirm_open: "确认未结订单",
    yes: "是",
    no: "否",
    shift_keys: "Tab/上下换项  左右改确认  Enter提交  Esc取消",
    shift_opened: "已开班",
    shift_closed: "已交班",
    keys_shift: &[
        ("0-9 .", "张数 / 金额"),
        ("Tab 上下", "换项"),
        ("左右", "是否带未结订单交班"),
        ("Enter", "下一项 / 提交"),
        ("Esc", "取消"),
    ],
    report: "报表",
    report_keys: "[上下]翻看 [r]重新计算 [p]打印 [o]开班 [c]交班",
    report_printed: "报表已送打印",
    no_receipt_printer: "没有小票打印机: 请在配置里设 receipts = true",
    keys_settle: &[
        ("c k s v o", "现金 刷卡 扫码 券 其他"),
        ("0-9 .", "收到的金额"),
        ("+", "再加一种付款"),
        ("Enter", "确认, 然后输入密码"),
        ("r", "重新查询(线上未定时)"),
        ("Esc", "取消"),
    ],
    keys_manager: &[
        ("Tab", "下一项"),
        ("左右", "选择退款方式"),
        ("Enter", "确认"),
        ("Esc", "取消"),
    ],
};

pub static EN: Words = Words {
    chinese: false,
    rail: "Kitchen",
    cashier: "Cashier",
    alerts: "Alerts",
    log: "Log",
    printers: "Printers",
    reprinted: "reprint queued",
    no_jobs: "no print jobs yet",
    preview: "Print preview",
    help: "Help",
    sign_in: "Sign in",
    feed: "feed",
    online: "online",
    reconnecting_in: "reconnecting in",
    offline_since: "offline since",
    unauthorized: "unauthorized: check the token",
    feed_off: "standalone",
    waiting_jobs: "waiting",
    not_signed_in: "not signed in",
    open_alerts: "alerts",
    staff_id: "Staff id",
    pin: "PIN",
    sign_in_hint: "Type your staff id and PIN, Enter to sign in, Tab to switch",
    welcome: "Welcome",
    all_day: "All day",
    all_stations: "all",
    station: "station",
    rail_empty: "Nothing to cook",
    more_cards: "more not shown",
    ready_shelf: "Ready",
    typed: "typed",
    bumped: "bumped",
    recalled: "recalled",
    served: "served",
    no_such_card: "no such card",
    table: "T",
    col_pickup: "Pickup",
    col_table: "Table",
    col_channel: "Chan",
    col_amount: "Amount",
    col_payment: "Payment",
    col_age: "Age",
    col_reason: "Reason",
    no_orders: "No orders yet today",
    paid_twice: "paid twice: a manager resolves it",
    paying_long: "paying too long: ask the customer",
    settle: "Settle",
    due: "due",
    still_due: "left",
    method: "Method",
    tendered: "Tendered",
    change: "Change",
    split_so_far: "Added",
    settle_keys: "[c]ash [k]card [s]can [v]oucher [o]ther  [+]split  Enter confirm  Esc cancel",
    cashier_pin: "Cashier PIN",
    pin_keys: "Type your PIN, Enter to take payment, Esc to go back",
    outcome_open: "The online payment may still succeed! Re-check first to avoid charging twice",
    outcome_keys: "[r]e-check  Enter take payment anyway  Esc cancel",
    settled: "paid, change",
    recheck_sent: "re-check requested",
    bad_amount: "not an amount: type yuan like 100 or 56.50",
    void_order: "Void order",
    reason: "Reason",
    manager_id: "Manager id",
    manager_pin: "Manager PIN",
    manager_keys: "Tab next  Enter confirm  Esc cancel",
    resolve_double: "Resolve double payment",
    refund_in_store: "refund in store",
    refund_online: "refund online",
    note: "Note",
    voided: "voided",
    resolved: "double payment resolved",
    alert_failed: "payment failed",
    alert_double: "paid twice",
    alert_paying: "paying too long",
    alert_printer: "printer problem",
    alert_feed: "feed offline",
    alert_quarantine: "unreadable message",
    alert_pins: "PINs held after many wrong tries",
    do_failed: "ask the customer to pay another way",
    do_double: "a manager resolves the double payment",
    do_paying: "ask the customer, then re-check",
    do_printer: "check the printer's paper and cover",
    do_feed: "check the network; orders catch up when it returns",
    do_quarantine: "an order may be missing: check the platform",
    do_pins: "a manager checks, then: passline staff unlock ID",
    jump: "handle",
    open_order: "Enter: open the order",
    no_alerts: "No alerts",
    alert_keys: "Up/Down select  Enter handle  [x] acknowledge",
    recent_events: "Recent events",
    codes_today: "Error codes today",
    no_codes: "No payment errors today",
    printer_ok: "ok",
    printer_unknown: "not yet seen",
    printer_offline: "offline",
    paper_out: "paper out",
    cover_open: "cover open",
    printer_error: "fault",
    help_title: "Keys",
    keys_global: &[
        ("Tab", "next screen"),
        ("F2-F7", "kitchen cashier alerts log report printers"),
        ("j", "handle the newest alert"),
        ("?", "help"),
        ("F12", "sign out"),
        ("Ctrl-C", "quit"),
    ],
    keys_sign_in: &[
        ("0-9", "staff id and PIN"),
        ("Tab", "next field"),
        ("Enter", "sign in"),
    ],
    keys_rail: &[
        ("digits Enter", "bump: 1-2 digits card no, 3+ pickup no"),
        ("arrows", "select a card"),
        ("Enter", "bump the selected card or dish"),
        ("+", "select one dish"),
        ("-", "recall the last bumped"),
        ("*", "next station"),
        (".", "serve (oldest ready, or the typed no)"),
    ],
    keys_cashier: &[
        ("Up Down PgUp PgDn", "select an order"),
        ("Enter", "settle"),
        ("r", "re-check the online payment"),
        ("v", "void (manager)"),
        ("d", "resolve double payment (manager)"),
        ("n", "take an order at the counter (sku or pinyin initials)"),
    ],
    keys_alerts: &[
        ("Up Down", "select"),
        ("Enter", "go handle it"),
        ("x", "acknowledge (messages)"),
    ],
    keys_log: &[("Up Down PgUp PgDn", "scroll")],
    keys_printers: &[
        (
            "Up Down PgUp PgDn",
            "choose a job; the right shows it as printed",
        ),
        ("Enter", "reprint the chosen job (marked REPRINT)"),
        ("F7", "printers screen"),
    ],
    keys_report: &[
        ("F6", "report"),
        ("Up Down PgUp PgDn", "scroll"),
        ("r", "compute again"),
        ("p", "print on the receipt printer"),
        ("o", "open a shift (float)"),
        ("c", "close the shift (count the drawer, manager PIN)"),
    ],
    open_shift: "Open shift",
    no_shift: "no shift yet: press o to open one with the float",
    close_shift: "Close shift",
    float_yuan: "Float (yuan)",
    your_pin: "Your PIN",
    yuan: " yuan",
    counted: "counted",
    over_short: "over/short",
    confirm_open: "Confirm open",
    yes: "yes",
    no: "no",
    shift_keys: "Tab/Up/Down field  Left/Right confirm  Enter submit  Esc cancel",
    shift_opened: "opened",
    shift_closed: "closed",
    keys_shift: &[
        ("0-9 .", "pieces / amount"),
        ("Tab Up Down", "next field"),
        ("Left Right", "close with open orders or not"),
        ("Enter", "next field / submit"),
        ("Esc", "cancel"),
    ],
    report: "Report",
    report_keys: "[Up/Down] scroll  [r] again  [p] print  [o] open shift  [c] close shift",
    report_printed: "report sent to the printer",
    no_receipt_printer: "no receipt printer: set receipts = true on one in the config",
    keys_settle: &[
        ("c k s v o", "cash card scan voucher other"),
        ("0-9 .", "amount tendered"),
        ("+", "add another tender (split)"),
        ("Enter", "confirm, then the PIN"),
        ("r", "re-check (online outcome open)"),
        ("Esc", "cancel"),
    ],
    keys_manager: &[
        ("Tab", "next field"),
        ("Left Right", "choose the refund"),
        ("Enter", "confirm"),
        ("Esc", "cancel"),
    ],
};

pub fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}

impl Words {
    pub fn role(&self, r: Role) -> &'static str {
        match (r, self.chinese) {
            (Role::Kitchen, true) => "厨房",
            (Role::Cashier, true) => "收银",
            (Role::Manager, true) => "经理",
            (Role::Kitchen, false) => "kitchen",
            (Role::Cashier, false) => "cashier",
            (Role::Manager, false) => "manager",
        }
    }

    pub fn channel(&self, c: Channel) -> &'static str {
        match (c, self.chinese) {
            (Channel::WechatMini, true) => "微信",
            (Channel::AlipayMini, true) => "支付宝",
            (Channel::Counter, true) => "柜台",
            (Channel::Delivery, true) => "外卖",
            (Channel::WechatMini, false) => "wechat",
            (Channel::AlipayMini, false) => "alipay",
            (Channel::Counter, false) => "counter",
            (Channel::Delivery, false) => "deliver",
        }
    }

    pub fn dining(&self, d: Dining) -> &'static str {
        match (d, self.chinese) {
            (Dining::DineIn, true) => "堂食",
            (Dining::Takeaway, true) => "外带",
            (Dining::DineIn, false) => "eat in",
            (Dining::Takeaway, false) => "to go",
        }
    }

    pub fn payment(&self, p: PaymentSummary) -> &'static str {
        use PaymentSummary::*;
        match (p, self.chinese) {
            (Unpaid, true) => "未付",
            (Paying, true) => "付款中",
            (Failed, true) => "失败",
            (PaidOnline, true) => "线上已付",
            (PaidInStore, true) => "店内已付",
            (DoublePaid, true) => "重复付款",
            (Refunded, true) => "已退款",
            (Void, true) => "已作废",
            (Unpaid, false) => "unpaid",
            (Paying, false) => "paying",
            (Failed, false) => "FAILED",
            (PaidOnline, false) => "paid online",
            (PaidInStore, false) => "paid here",
            (DoublePaid, false) => "PAID TWICE",
            (Refunded, false) => "refunded",
            (Void, false) => "void",
        }
    }

    pub fn method(&self, m: Method) -> &'static str {
        match (m, self.chinese) {
            (Method::Cash, true) => "现金",
            (Method::Card, true) => "刷卡",
            (Method::Scan, true) => "扫码",
            (Method::Voucher, true) => "券",
            (Method::Other, true) => "其他",
            (m, false) => m.as_str(),
        }
    }

    /// An event's name on the log screen.
    pub fn event(&self, name: &'static str) -> &'static str {
        if !self.chinese {
            return name;
        }
        match name {
            "order_placed" => "下单",
            "payment_updated" => "付款更新",
            "order_cancelled" => "取消",
            "items_added" => "加菜",
            "fired" => "下厨",
            "settled" => "店内收款",
            "double_payment" => "重复付款",
            "double_payment_resolved" => "重复付款已处理",
            "bumped" => "出单",
            "recalled" => "召回",
            "served" => "取餐",
            "voided" => "作废",
            "refunded" => "退款",
            "recheck_requested" => "重新查询",
            "reprint_requested" => "重打",
            "frame_quarantined" => "消息隔离",
            "report_acked" => "平台确认",
            "staff_added" => "新员工",
            "staff_disabled" => "停用员工",
            "pin_changed" => "改密码",
            "pin_rejected" => "密码错误",
            "shift_opened" => "开班",
            "shift_closed" => "交班",
            other => other,
        }
    }
}

/// An engine error in the staff's language.
pub fn error_text(w: &Words, e: &EngineError) -> String {
    match e {
        EngineError::Refused(r) => refusal_text(w, r),
        EngineError::Stopped if w.chinese => "系统已停止:请重启收银机".into(),
        other if w.chinese => format!("系统错误: {other}"),
        other => other.to_string(),
    }
}

/// A refusal in the staff's language (the engine's words are English).
pub fn refusal_text(w: &Words, r: &Refusal) -> String {
    if !w.chinese {
        return r.to_string();
    }
    match r {
        Refusal::WrongPin { staff_id, failures } => {
            format!("{staff_id} 密码错误(第 {failures} 次, 共 {PIN_LOCK_AFTER} 次)")
        }
        Refusal::LockedOut { staff_id, seconds } => {
            format!("{staff_id} 在这台屏幕密码错误太多已锁定: 请等 {seconds} 秒")
        }
        Refusal::UnknownStaff { staff_id } => format!("没有工号 {staff_id}: 请核对"),
        Refusal::PinHeld { staff_id } => {
            format!("{staff_id} 密码错误太多已锁定: 请经理解锁 (passline staff unlock {staff_id})")
        }
        Refusal::ScreenLocked { wrong } => {
            format!("这台屏幕今天已输错密码 {wrong} 次: 明天再试, 或到另一台屏幕登录")
        }
        Refusal::PinTooWeak { min, max, .. } => format!("密码要 {min} 到 {max} 位数字: 请设长一些"),
        Refusal::StaffDisabled { staff_id } => format!("{staff_id} 已停用: 请找经理"),
        Refusal::BadPin => "密码是 4 到 8 位数字".into(),
        Refusal::AlreadyPaid => "订单已付清: 无需收款".into(),
        Refusal::ApprovalNeeded => "需要经理密码批准".into(),
        Refusal::NotOnRail => "这张单不在厨房队列上".into(),
        Refusal::NothingToRecall => "没有可召回的单".into(),
        Refusal::ReasonNeeded => "请填写原因".into(),
        Refusal::OverTender { amount, due, .. } => {
            format!("金额 {amount} 超过还差的 {due}: 请改小")
        }
        Refusal::InsufficientCash { tendered, amount } => {
            format!("收到 {tendered} 不够 {amount}: 请再收现金")
        }
        Refusal::RefundFirst { collected } => format!("订单已收 {collected}: 请先退款再作废"),
        Refusal::Forbidden { who, .. } => format!("{who} 无权操作: 请找经理"),
        Refusal::NoShiftOpen => "没有开班: 请先开班(备用金)".into(),
        Refusal::ShiftOpen { shift } => format!("第 {shift} 班还没交班: 请先点钱箱交班"),
        Refusal::OpenIssues { count, orders } => {
            format!("{count} 单还需要处理 ({orders}): 请先处理, 或确认带未结订单交班")
        }
        Refusal::EmptyOrder => "还没有点菜: 请至少加一道菜".into(),
        Refusal::BadLine { line, problem } => {
            format!("第 {line} 行有误({problem}): 请改正后再下单")
        }
        Refusal::BadPayCode { masked } => {
            format!("付款码 {masked} 无效(应为 18 位微信或支付宝付款码): 请顾客刷新后重扫")
        }
        Refusal::PayCodeRepeated { masked } => {
            format!("付款码 {masked} 已扫过这张单: 请顾客刷新付款码")
        }
        Refusal::CollectInProgress { masked } => {
            format!("付款码 {masked} 还在确认中: 请等结果(或重新查询)再扫")
        }
        Refusal::TooMuchCash { tendered, most } => {
            format!("收到 {tendered} 太多(最多 {most}): 请核对金额")
        }
        Refusal::OrderTooLarge { total, most } => {
            format!("订单金额 {total} 超过上限 {most}: 请分单, 或请经理调整 [limits] order_max")
        }
        Refusal::NoMenu => "没有菜单, 无法计价: 请把 menu.toml 放在配置文件旁边".into(),
        other => other.to_string(),
    }
}

//! The pure core: money, orders, payments, kitchen state, staff, events and the
//! rules that turn commands into events. No I/O, no clocks, no async.

pub mod apply;
pub mod business_day;
pub mod catalogue;
pub mod closing;
pub mod command;
pub mod event;
pub mod job;
pub mod limits;
pub mod lockout;
pub mod money;
pub mod order;
pub mod paycode;
pub mod platform;
pub mod refusal;
pub mod replay;
pub mod report;
pub mod route;
pub mod rules;
pub mod shift;
pub mod staff;
pub mod state;
pub mod status;
pub mod tender;

pub use command::{Approval, Command, Refusal};
pub use event::{Actor, Event, EventBody, UpdateEffect};
pub use limits::MoneyLimits;
pub use money::Fen;
pub use order::{Channel, Dining, Item, Order, OrderId};
pub use paycode::AuthCode;
pub use platform::{PayChannel, PaymentUpdate, PlatformEvent, TradeState};
pub use report::Report;
pub use rules::{FirePolicy, PlatformOutcome, Rules};
pub use shift::{DrawerCount, OpenIssue, ShiftRecord};
pub use staff::{Role, Staff, StaffId};
pub use state::{Kitchen, OrderState, PaymentSummary};
pub use tender::{CashRounding, Method, Tender, TenderInput};

//! The screens that open from anywhere (the global keys): a call, a logged touch, the
//! follow-up queue, audits, KPIs, retrospectives.

use super::audits::AuditsView;
use super::call::CallFlow;
use super::followups::FollowupsView;
use super::keymap::Action;
use super::kpis::KpisView;
use super::screen::{Cx, Reply};
use super::wrapup::WrapUp;
use crate::error::Result;
use crate::store::kpi::Who;

/// The global keys on a screen about `account` (the selected or open one, if any); None
/// for any other action.
pub fn global(action: Action, account: Option<i64>, cx: &mut Cx) -> Result<Option<Reply>> {
    Ok(Some(match action {
        Action::LogTouch => match account {
            Some(id) => log_touch(id, cx)?,
            None => Reply::Stay,
        },
        Action::StartCall => match account {
            Some(id) => call(id, cx)?,
            None => Reply::Stay,
        },
        Action::Followups => followups(cx)?,
        Action::Audits => audits(None, cx)?,
        Action::Kpis => kpis(Who::All, cx)?,
        Action::Retros => Reply::Push(Box::new(CallFlow::retros(cx.store, cx.clock)?)),
        Action::Quit => Reply::Quit,
        _ => return Ok(None),
    }))
}

/// `c`: a call on an account.
pub fn call(account_id: i64, cx: &mut Cx) -> Result<Reply> {
    let flow = CallFlow::pick(cx.store, account_id, cx.clock)?;
    Ok(Reply::Push(Box::new(flow)))
}

/// `l`: log a touch on an account.
pub fn log_touch(account_id: i64, cx: &mut Cx) -> Result<Reply> {
    let form = WrapUp::for_log(cx.store, account_id, &cx.as_of())?;
    Ok(Reply::Push(Box::new(form)))
}

/// `f`: the follow-up queue.
pub fn followups(cx: &mut Cx) -> Result<Reply> {
    let view = FollowupsView::load(cx.store, &cx.as_of())?;
    Ok(Reply::Push(Box::new(view)))
}

/// `A`: adaptability audits of one CSM, or of every CSM (None).
pub fn audits(csm_id: Option<i64>, cx: &mut Cx) -> Result<Reply> {
    let today = cx.clock.today();
    let view = match csm_id {
        Some(id) => AuditsView::open_for(cx.store, id, today)?,
        None => AuditsView::open(cx.store, None, today)?,
    };
    Ok(Reply::Push(Box::new(view)))
}

/// `K`: coaching KPIs of everyone, a team or a CSM.
pub fn kpis(who: Who, cx: &mut Cx) -> Result<Reply> {
    let view = KpisView::open(cx.store, who, cx.clock.today())?;
    Ok(Reply::Push(Box::new(view)))
}

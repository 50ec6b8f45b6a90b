//! Builds the screens that screens ask for by name (`Reply::Open`); only the app imports
//! this, so no screen imports another.

use super::account::AccountView;
use super::audits::AuditsView;
use super::call::CallFlow;
use super::followups::FollowupsView;
use super::kpis::KpisView;
use super::reading::SlowRead;
use super::retro::RetroView;
use super::role_review::RoleReview;
use super::screen::{Cx, Open, Screen};
use super::setup::SetUpView;
use super::triage::Triage;
use super::value_table::ValueTable;
use super::wrapup::WrapUp;
use crate::error::Result;

pub fn screen(open: Open, cx: &mut Cx) -> Result<Box<dyn Screen>> {
    let at = cx.as_of();
    let today = cx.clock.today();
    let library = &cx.config.prompts;
    Ok(match open {
        Open::Account(id) => Box::new(AccountView::open(cx.store, id, &at)?),
        Open::Call(id) => Box::new(CallFlow::pick(cx.store, id, cx.clock)?),
        Open::LogTouch(id) => Box::new(WrapUp::for_log(cx.store, id, &at)?),
        Open::Correction(touch_id) => Box::new(WrapUp::for_correction(cx.store, touch_id, &at)?),
        Open::Followups => Box::new(FollowupsView::load(cx.store, &at)?),
        Open::Audits(Some(csm_id)) => {
            Box::new(AuditsView::open_for(cx.store, csm_id, today, library)?)
        }
        Open::Audits(None) => Box::new(AuditsView::open(cx.store, None, today, library)?),
        Open::Kpis(who) => Box::new(KpisView::open(cx.store, who, today)?),
        Open::Retros => Box::new(RetroView::load(cx.store, cx.clock.now(), library.clone())?),
        Open::SetUp => Box::new(SetUpView::load(cx.store)?),
        Open::ValueTable => Box::new(ValueTable::load(cx.store)?),
        Open::RoleReview => Box::new(RoleReview::load(cx.store)?),
        Open::Triage => Box::new(Triage::load(cx.store)?),
    })
}

/// What the last run left open: a call in progress (offered to resume), else a logged
/// touch or a correction typed but not saved.
pub fn left_open(cx: &mut Cx) -> Result<Option<Box<dyn Screen>>> {
    if let Some(saved) = crate::store::call::interrupted(cx.store.conn())? {
        return Ok(Some(Box::new(CallFlow::offer_resume(saved))));
    }
    Ok(WrapUp::unsaved_from_last_run(cx)?.map(|form| Box::new(form) as Box<dyn Screen>))
}

/// The screens whose read can take seconds on a big file, opened from a thread
/// (`reading.rs`) when the loop can wait for them: the KPIs.
pub fn slow(open: &Open, today: chrono::NaiveDate) -> Option<SlowRead> {
    let Open::Kpis(who) = *open else {
        return None;
    };
    let window = KpisView::window(today);
    Some(SlowRead {
        what: "the coaching KPIs",
        read: Box::new(move |store, cancel| {
            let scan = crate::store::kpi::scan_until(store.conn(), window, cancel)?;
            Ok(Box::new(move || {
                Box::new(KpisView::from_scan(scan, who)) as Box<dyn Screen>
            }))
        }),
    })
}

/// The screens that open over the home screen at start: "which owner is you?" when a
/// file has several owners and nobody said (not in a file opened read-only, where the
/// answer could not be kept).
pub fn over_home(
    home: &super::home::Home,
    store: &crate::store::Store,
) -> Result<Vec<Box<dyn Screen>>> {
    let mut stack: Vec<Box<dyn Screen>> = Vec::new();
    if home.asks_who_is_me() && !store.is_read_only() {
        stack.push(Box::new(super::who_is_me::WhoIsMe::load(store)?));
    }
    Ok(stack)
}

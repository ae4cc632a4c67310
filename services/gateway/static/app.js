// The UI's only script (CSP: no inline script). Marks the page as one where GOV.UK Frontend's
// JavaScript runs, starts its components, and warns before an idle session ends.
import { initAll } from '/assets/govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

const timer = document.getElementById('session-timer')
if (timer) {
  const warnAt = Number(timer.dataset.warnAt) * 1000
  const endsAt = Number(timer.dataset.endsAt) * 1000
  const notice = document.getElementById('idle-warning')
  const ended = document.getElementById('idle-ended')
  const show = (el) => { if (el) { el.hidden = false; el.focus() } }
  setTimeout(() => show(notice), Math.max(0, warnAt - Date.now()))
  setTimeout(() => { if (notice) notice.hidden = true; show(ended) },
    Math.max(0, endsAt - Date.now()))
}

// The login pages' only script (CSP: no inline script): marks the page as one where GOV.UK
// Frontend's JavaScript runs and starts its components (skip link, error summary focus).
import { initAll } from '/assets/govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

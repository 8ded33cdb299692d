// A person's browser for the OAuth end-to-end tests: a cookie jar that follows redirects by hand
// through /authorize (or /login), the emulator's sign-in, /callback and the consent form, and the
// assertions on where a navigation ended. Tests import it through oauth-helpers.mjs.
import assert from 'node:assert/strict';
import { CookieJar, ALICE, formFields, textByTestId, organizationChoices } from './helpers.mjs';
import { ORIGIN, WORKOS_ORIGIN, CONSENT_TESTID, FORM, short } from './oauth-contract.mjs';

// ---- the browser ----------------------------------------------------------------------------------

const MAX_HOPS = 25;

/** The parts of a consent page. */
export function parseConsent(html, response, pageUrl) {
  return {
    url: pageUrl,
    html,
    response,
    fields: formFields(html, '/authorize'),
    clientName: textByTestId(html, CONSENT_TESTID.clientName),
    redirectHost: textByTestId(html, CONSENT_TESTID.redirectHost),
    csp: response.headers.get('content-security-policy') ?? '',
    approveButton: html.match(new RegExp(`<button[^>]*data-testid="${CONSENT_TESTID.approve}"[^>]*>`))?.[0],
    denyButton: html.match(new RegExp(`<button[^>]*data-testid="${CONSENT_TESTID.deny}"[^>]*>`))?.[0],
  };
}

/**
 * A person with a browser: a cookie jar, a WorkOS user (the emulator signs in whoever the
 * sign-in form's `login_hint` names), and navigation that follows redirects by hand within the
 * Worker and WorkOS, posting the sign-in form and answering the consent form on the way. It stops
 * when a redirect leaves for anywhere else (the client's redirect URI) or at any other page.
 * One Browser = one cookie jar, so a second authorization can show that consent was remembered.
 */
export class Browser {
  /** `organization`: the name to choose when the Worker shows its organization picker (else it stops there). */
  constructor({ loginHint = ALICE, jar = new CookieJar(), organization = null } = {}) {
    this.loginHint = loginHint;
    this.jar = jar;
    this.organization = organization;
  }

  static #ours(u) {
    return u.origin === ORIGIN || u.origin === WORKOS_ORIGIN;
  }

  /**
   * Navigates to `start` (an /authorize URL) and follows through.
   * @param {object} [opts]
   * @param {'approve'|'deny'|null} [opts.decision] the button pressed on a consent page; null stops there
   * @param {(fields: object) => object} [opts.editConsent] changes the consent form before it is posted
   * @param {object} [opts.consentHeaders] headers of the consent POST (default: Origin of the Worker)
   * @returns {Promise<{hops: object[], responses: Response[], consent: object|null, consentPages: number,
   *   signInPosted: number, signInPages: number, redirect: URL|null, params: object|null, page: object|null}>}
   *   `signInPosted`: sign-ins at WorkOS (its authorize endpoint reached); `signInPages`: our /login
   *   pages answered on the way (none from /authorize: it goes to WorkOS directly);
   *   `consent`: the last consent page seen; `responses[i]` answered `hops[i]`;
   *   `redirect`/`params`: where the browser was sent outside the Worker and WorkOS (the client);
   *   `page`: the page it stopped at otherwise ({status, url, html, response}).
   */
  async navigate(start, { decision = 'approve', editConsent, consentHeaders } = {}) {
    const out = { hops: [], consent: null, consentPages: 0, signInPosted: 0, signInPages: 0, pickers: 0, redirect: null, params: null, page: null, responses: [] };
    let req = { method: 'GET', url: new URL(start, ORIGIN).href };
    for (let i = 0; i < MAX_HOPS; i++) {
      const res = await this.jar.fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
      const location = res.headers.get('location');
      out.hops.push({ method: req.method, url: req.url, status: res.status, location });
      out.responses.push(res);
      if (res.status >= 300 && res.status < 400 && location !== null) {
        await res.text();
        const next = new URL(location, req.url);
        if (!Browser.#ours(next)) {
          out.redirect = next;
          out.params = Object.fromEntries(next.searchParams);
          out.response = res;
          return out;
        }
        if (next.origin === WORKOS_ORIGIN && next.pathname === '/user_management/authorize') {
          // At WorkOS's sign-in the person picks their account (the emulator takes login_hint).
          if (++out.signInPosted > 3) throw new Error(`sign-in loop: ${Browser.describe(out.hops)}`);
          if (!next.searchParams.has('login_hint')) next.searchParams.set('login_hint', this.loginHint);
        }
        req = { method: 'GET', url: next.href };
        continue;
      }
      const html = await res.text();
      const here = new URL(req.url);
      const atWorker = here.origin === ORIGIN && req.method === 'GET' && res.status === 200;
      if (atWorker && here.pathname === '/login') {
        // The sign-in page: press its button, as the chosen user.
        if (++out.signInPages > 3) throw new Error(`sign-in page loop: ${Browser.describe(out.hops)}`);
        const fields = { ...formFields(html, '/login'), login_hint: this.loginHint };
        req = {
          method: 'POST',
          url: `${ORIGIN}/login`,
          headers: { 'content-type': FORM, origin: ORIGIN },
          body: new URLSearchParams(fields).toString(),
        };
        continue;
      }
      if (atWorker && here.pathname === '/callback' && this.organization && html.includes('action="/login/organization"')) {
        // The organization picker: choose by name.
        if (++out.pickers > 3) throw new Error(`picker loop: ${Browser.describe(out.hops)}`);
        const choice = organizationChoices(html).find((c) => c.name === this.organization);
        if (!choice) throw new Error(`no organization ${this.organization} on the picker: ${JSON.stringify(organizationChoices(html))}`);
        req = {
          method: 'POST',
          url: `${ORIGIN}/login/organization`,
          headers: { 'content-type': FORM, origin: ORIGIN },
          body: new URLSearchParams({ ...formFields(html, '/login/organization'), organization_id: choice.id }).toString(),
        };
        continue;
      }
      // Consent: at /authorize, or served by the answer that finished a sign-in (/callback,
      // the organization picker's POST) for the authorization request that started it.
      const consentHere = here.origin === ORIGIN && res.status === 200 && html.includes(`data-testid="${CONSENT_TESTID.approve}"`);
      if (consentHere) {
        out.consent = parseConsent(html, res, req.url);
        if (++out.consentPages > 3) throw new Error(`consent loop: ${Browser.describe(out.hops)}`);
        if (decision === null) {
          out.page = { status: res.status, url: req.url, html, response: res };
          return out;
        }
        let fields = { ...out.consent.fields, decision };
        if (editConsent) fields = editConsent(fields);
        req = {
          method: 'POST',
          url: `${ORIGIN}/authorize`,
          headers: { 'content-type': FORM, ...(consentHeaders ?? { origin: ORIGIN }) },
          body: new URLSearchParams(fields).toString(),
        };
        continue;
      }
      out.page = { status: res.status, url: req.url, html, response: res };
      return out;
    }
    throw new Error(`more than ${MAX_HOPS} redirects: ${Browser.describe(out.hops)}`);
  }

  /** Posts a consent form by hand (no following): the raw response. */
  postConsent(fields, headers = { origin: ORIGIN }) {
    return this.jar.fetch(`${ORIGIN}/authorize`, {
      method: 'POST',
      headers: { 'content-type': FORM, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** A one-line account of a navigation, for assertion messages. */
  static describe(hops) {
    return hops.map((h) => {
      const u = new URL(h.url);
      return `${h.method} ${u.origin === ORIGIN ? '' : u.origin}${u.pathname} → ${h.status}`;
    }).join(' | ');
  }
}

/** Asserts a navigation ended at the client with a code (state and iss checked); returns the params. */
export function expectCode(nav, { redirectUri, state }) {
  const where = nav.redirect ? nav.redirect.href : `a page (${nav.page?.status}): ${short(nav.page?.html)}`;
  assert.ok(nav.redirect, `expected a redirect to the client, ended at ${where}\nhops: ${Browser.describe(nav.hops)}`);
  const bare = (u) => new URL(u).href.replace(/[?#].*$/, '');
  assert.equal(bare(nav.redirect), bare(redirectUri), 'sent to the registered redirect URI');
  assert.equal(nav.params.error, undefined, `no error (got ${nav.params.error}: ${nav.params.error_description})`);
  assert.ok(nav.params.code, `a code in ${nav.redirect.href}`);
  assert.equal(nav.params.state, state, 'state comes back unchanged');
  assert.equal(nav.params.iss, ORIGIN, 'iss names this authorization server (RFC 9207)');
  return nav.params;
}

/** Asserts an error redirect to the client carrying `error`, `state` and `iss`; returns the params. */
export function expectErrorRedirect(nav, { redirectUri, state, error }) {
  assert.ok(nav.redirect, `expected an error redirect to the client, got ${nav.page?.status}: ${short(nav.page?.html)}\nhops: ${Browser.describe(nav.hops)}`);
  assert.ok(nav.redirect.href.startsWith(redirectUri), `redirected to the client's redirect URI, got ${nav.redirect.href}`);
  assert.equal(nav.params.error, error, `error=${error} (got ${nav.params.error}: ${nav.params.error_description})`);
  assert.equal(nav.params.code, undefined, 'no code');
  assert.equal(nav.params.state, state, 'state comes back');
  assert.equal(nav.params.iss, ORIGIN, 'iss comes back');
  return nav.params;
}

/** Things an error page must never show. */
const LEAKS = [/sk_test_default/, /panicked at/i, /RuntimeError/, /wasm-function/, /stack backtrace/i];

/**
 * Asserts `res` (a raw response, not followed) is a refusal page — the given status, HTML with an
 * error title, no Location, no code anywhere — i.e. the browser is *not* sent anywhere.
 */
export async function expectRefusalPage(res, status, what) {
  const html = await res.text();
  assert.equal(res.status, status, `${what}: status ${res.status}, expected ${status}; Location ${res.headers.get('location')}; body: ${short(html)}`);
  assert.equal(res.headers.get('location'), null, `${what}: no Location header (never a redirect)`);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/, `${what}: an HTML page`);
  assert.ok(textByTestId(html, 'error-title'), `${what}: the page has an error title`);
  assert.doesNotMatch(html, /[?&]code=/, `${what}: no authorization code on the page`);
  for (const leak of LEAKS) assert.doesNotMatch(html, leak, `${what}: must not show ${leak}`);
  return html;
}

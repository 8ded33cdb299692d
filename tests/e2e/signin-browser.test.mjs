// A real browser (Debian's Chromium via playwright-core) signs in through the Worker and the WorkOS
// emulator, sees the account page, and signs out. Screenshots go to target/e2e-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WORKER_URL, ALICE, BOB, TESTID, PATHS, launchChromium, artifact, worker } from './helpers.mjs';

let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

/** A fresh browser profile (no cookies) with a page; closed by the caller. */
async function freshPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  return { context, page };
}

async function signInWithBrowser(page, email) {
  await page.goto(worker(`${PATHS.login}?login_hint=${encodeURIComponent(email)}`));
  await page.getByTestId(TESTID.signIn).click();
  // POST /login → WorkOS authorize (emulator, no UI) → /callback → the account page.
  await page.waitForURL(`${WORKER_URL}/`);
}

const text = (page, id) => page.getByTestId(id).textContent().then((t) => t.trim());
const permissions = (page) => page.getByTestId(TESTID.permissions).locator('li').allTextContents()
  .then((items) => items.map((t) => t.trim()));

test('the sign-in page shows a sign-in button', async () => {
  const { context, page } = await freshPage();
  try {
    const res = await page.goto(worker(`${PATHS.login}?login_hint=${encodeURIComponent(ALICE)}`));
    assert.equal(res.status(), 200);
    await page.getByTestId(TESTID.signIn).waitFor({ state: 'visible' });
    await page.screenshot({ path: artifact('login.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('Alice signs in and sees her account: Acme, admin, image_generation', async () => {
  const { context, page } = await freshPage();
  try {
    await signInWithBrowser(page, ALICE);
    assert.equal(await text(page, TESTID.name), 'Alice Admin');
    assert.equal(await text(page, TESTID.email), ALICE);
    assert.equal(await text(page, TESTID.organization), 'Acme');
    assert.equal(await text(page, TESTID.role), 'admin');
    assert.ok((await permissions(page)).includes('image_generation'), 'image_generation is listed');
    await page.screenshot({ path: artifact('account-alice.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('Bob signs in and sees his account: Acme, member, no image_generation', async () => {
  const { context, page } = await freshPage();
  try {
    await signInWithBrowser(page, BOB);
    assert.equal(await text(page, TESTID.name), 'Bob Member');
    assert.equal(await text(page, TESTID.email), BOB);
    assert.equal(await text(page, TESTID.organization), 'Acme');
    assert.equal(await text(page, TESTID.role), 'member');
    assert.ok(!(await permissions(page)).includes('image_generation'), 'image_generation is not listed');
    await page.screenshot({ path: artifact('account-bob.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('a refused callback shows an error page with a way to sign in again', async () => {
  const { context, page } = await freshPage();
  try {
    const res = await page.goto(worker(`${PATHS.callback}?code=nothing`)); // no state
    assert.equal(res.status(), 400);
    assert.ok((await text(page, TESTID.errorTitle)).length > 0);
    assert.ok((await text(page, TESTID.errorMessage)).length > 0);
    await page.getByTestId(TESTID.signInAgain).waitFor({ state: 'visible' });
    await page.screenshot({ path: artifact('error-state.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('signing out in the browser ends on the sign-in page, and / then asks to sign in', async () => {
  const { context, page } = await freshPage();
  try {
    await signInWithBrowser(page, ALICE);
    await page.getByTestId(TESTID.signOut).click();
    // POST /logout → WorkOS sign-out (emulator) → back to /login.
    await page.waitForURL((url) => url.href.startsWith(worker(PATHS.login)));
    await page.getByTestId(TESTID.signIn).waitFor({ state: 'visible' });

    const res = await page.goto(worker('/'));
    assert.equal(new URL(page.url()).pathname, PATHS.login, `/ after sign-out ended on ${page.url()}`);
    assert.equal(res.request().redirectedFrom()?.url(), worker('/'), '/ redirected to the sign-in page');
    assert.equal(res.status(), 200);
    await page.getByTestId(TESTID.signIn).waitFor({ state: 'visible' });
  } finally {
    await context.close();
  }
});

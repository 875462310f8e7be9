// End-to-end test of the web UI in Debian's headless Chromium (playwright-core) against a running native stack:
// token dialog, every page with real numbers checked against the API, the injected burst and its detail, CSV
// downloads, deep links, the language switch, a phone-sized screen, and the roles: a viewer sees no request rows, IPs,
// users, tokens, CSV or actions and is never refused; an admin sees the Actions page. Screenshots go to ARTIFACTS.
// Env: BASE_URL, API_TOKEN (an admin's), VIEWER_TOKEN (a viewer's, from the tokens file), BURST_TOKEN (the injected burst's token id), ARTIFACTS, CHROMIUM (default /usr/bin/chromium),
// NEWAPI_URL (the exporter's, for the links to new-api), DISPLAY_CURRENCY (what the simulated new-api displays).
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';

const BASE = process.env.BASE_URL;
const TOKEN = process.env.API_TOKEN;
const VIEWER_TOKEN = process.env.VIEWER_TOKEN;
const BURST = process.env.BURST_TOKEN;
const ART = process.env.ARTIFACTS;
const NEWAPI = process.env.NEWAPI_URL ?? '';
const CURRENCY = process.env.DISPLAY_CURRENCY ?? 'USD';
mkdirSync(ART, { recursive: true });

let failures = 0;
const ok = (what) => console.log(`ok   [frontend_e2e]: ${what}`);
const fail = (what) => {
  console.error(`FAIL [frontend_e2e]: ${what}`);
  failures++;
};
const check = (cond, what) => (cond ? ok(what) : fail(what));
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`     [frontend_e2e]: ${name} took ${Date.now() - t0} ms`);
  } catch (e) {
    fail(`${name}: ${e?.message?.split('\n')[0] ?? e}`);
  }
}

async function api(path) {
  const res = await fetch(BASE + path, { headers: { Authorization: `Bearer ${TOKEN}` } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}
// Screenshots once every query has answered and nothing spins.
async function shot(page, name) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page
    .waitForFunction(() => !document.querySelector('.ant-spin-spinning, [data-testid="loading-state"]'), null, {
      timeout: 30_000,
    })
    .catch(() => {});
  await page.screenshot({ path: `${ART}/${name}.png`, fullPage: true });
}
const rowCount = async (page, testId) =>
  Number((await page.locator(`[data-testid="${testId}"] [data-testid="row-count"]`).innerText()).split(' ')[0]);

// Clicks the table's CSV button and returns the downloaded file's lines (without the trailing empty one).
async function downloadCsv(page, testId) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(`[data-testid="${testId}"] [data-testid="csv-button"]`).click(),
  ]);
  const text = readFileSync(await download.path(), 'utf8').replace(/^\ufeff/, '');
  return { name: download.suggestedFilename(), lines: text.split('\r\n').filter((l) => l !== '') };
}

const MIN = 60_000;
const now = Date.now();
// A closed range in the past: its numbers no longer change while the test compares them with the API.
const past = { start: Math.floor((now - 3 * 3_600_000) / MIN) * MIN, end: Math.floor((now - 3_600_000) / MIN) * MIN };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const context = await browser.newContext({
  acceptDownloads: true,
  locale: 'en-US',
  viewport: { width: 1366, height: 900 },
});
const page = await context.newPage();
page.setDefaultTimeout(30_000);
const consoleErrors = [];
page.on('pageerror', (e) => consoleErrors.push(String(e)));
// The exporter's Content-Security-Policy must not block anything the app needs (Chromium logs each violation).
const cspViolations = [];
page.on('console', (m) => {
  if (m.type() === 'error' && m.text().includes('Content Security Policy')) cspViolations.push(m.text());
});

await step('token dialog', async () => {
  await page.goto(`${BASE}/`);
  const message = page.locator('[data-testid="token-message"]');
  await message.waitFor();
  check(/requires a bearer token/.test(await message.innerText()), 'without a token the app asks for one');
  await page.locator('[data-testid="token-input"]').fill('not-the-token');
  await page.locator('[data-testid="token-save"]').click();
  await page.waitForFunction(() =>
    /refused the token/.test(document.querySelector('[data-testid="token-message"]')?.textContent ?? ''),
  );
  const text = await message.innerText();
  check(
    /refused the token/.test(text) && /401/.test(text),
    `a wrong token says so clearly: "${text.replace(/\s+/g, ' ')}"`,
  );
  const behind = await page.locator('[data-testid="error-state"]').count();
  check(behind === 0, `the 401 is said once, by the dialog, not again in the cards behind it (${behind} error cards)`);
  await shot(page, 'wrong-token');
  await page.locator('[data-testid="token-input"]').fill(TOKEN);
  await page.locator('[data-testid="token-save"]').click();
  await message.waitFor({ state: 'hidden' });
  ok('the right token closes the dialog');
});

await step('dashboard', async () => {
  const seriesReq = page.waitForRequest(
    (r) => r.url().includes('/api/stats/series') && r.url().includes(`start_ms=${past.start}`),
  );
  const activeReq = page.waitForRequest(
    (r) => r.url().includes('/api/stats/active') && r.url().includes(`start_ms=${past.start}`),
  );
  await page.goto(`${BASE}/?start=${past.start}&end=${past.end}`);
  const requested = new URL((await seriesReq).url());
  const value = page.locator('[data-testid="kpi-requests-value"]');
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="kpi-requests-value"]')?.getAttribute('data-value')) > 0,
  );
  const shown = Number(await value.getAttribute('data-value'));
  const rows = await api(`/api/stats/series${requested.search}`);
  const expected = rows.reduce((s, r) => s + r.reqs, 0);
  check(
    shown === expected && expected > 0,
    `the Requests KPI (${shown}) equals the API's sum of reqs (${expected}) for ${requested.search}`,
  );
  check(
    (await value.innerText()) === expected.toLocaleString('en-US'),
    `it is shown as ${expected.toLocaleString('en-US')}`,
  );
  const tokens = rows.reduce((s, r) => s + r.tokens, 0);
  check(
    Number(await page.locator('[data-testid="kpi-tokens-value"]').getAttribute('data-value')) === tokens,
    `the Tokens KPI equals the API's (${tokens})`,
  );
  const active = await api(`/api/stats/active${new URL((await activeReq).url()).search}`);
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="kpi-active-users-value"]')?.getAttribute('data-value')) > 0,
  );
  const activeShown = Number(await page.locator('[data-testid="kpi-active-users-value"]').getAttribute('data-value'));
  check(
    active.users > 0 && activeShown === active.users,
    `the Active users KPI (${activeShown}) is the API's distinct users of the range (${active.users})`,
  );
  const info = await api('/api/info');
  const quota = rows.reduce((s, r) => s + r.quota, 0);
  const spend = Number(await page.locator('[data-testid="kpi-spend-value"]').getAttribute('data-value'));
  const expectedSpend = (quota / info.quota_per_unit) * info.display.per_usd;
  check(
    info.quota_per_unit > 0 &&
      info.display.currency === CURRENCY &&
      Math.abs(spend - expectedSpend) <= 1e-9 * Math.max(1, spend),
    `the Spend KPI (${spend}) is the API's quota over QuotaPerUnit in new-api's display unit (${quota} / ${info.quota_per_unit} × ${info.display.per_usd} ${info.display.currency})`,
  );
  const spendText = await page.locator('[data-testid="kpi-spend"]').innerText();
  check(
    spendText.includes(`(${CURRENCY})`) &&
      (await page.locator('[data-testid="kpi-spend-value"]').innerText()).startsWith(info.display.symbol),
    `the Spend KPI is labelled and shown in ${CURRENCY}: "${spendText.replace(/\s+/g, ' ')}"`,
  );
  check(
    !(await page.locator('[data-testid="series-table"] thead').innerText()).includes('Quota'),
    'the buckets table shows spend in the same unit, not a raw quota column beside it',
  );
  check(
    /vs previous period/.test(await page.locator('[data-testid="kpi-requests-change"]').innerText()),
    'the KPI shows its change vs the previous period',
  );
  await page.locator('[data-testid="traffic-chart"] canvas').first().waitFor();
  ok('the traffic chart draws');
  const tableRows = await rowCount(page, 'series-table');
  check(tableRows === rows.length, `the buckets table has the API's ${rows.length} rows`);
  const csv = await downloadCsv(page, 'series-table');
  check(csv.lines[0] === 'bucket,reqs,tokens,quota,errors,users,tokens_cnt', `series CSV header: ${csv.lines[0]}`);
  check(csv.lines.length - 1 === rows.length, `series CSV has ${csv.lines.length - 1} rows (API: ${rows.length})`);
  // A burst flattens a linear axis: the log scale is one click, kept in the URL.
  await page.locator('[data-testid="traffic-scale"]').getByText('Log scale').click();
  await page.waitForURL(/scale=log/);
  await page.locator('[data-testid="traffic-chart"] canvas').first().waitFor();
  ok('the traffic chart switches to a log scale (scale=log in the URL)');
  await shot(page, 'dashboard-log');
  // One user's traffic: the user filter goes to the API and the KPIs are that user's.
  const topUser = (
    await api(`/api/stats/top?start_ms=${past.start}&end_ms=${past.end}&by=user&metric=reqs&limit=1`)
  )[0];
  const userReq = page.waitForRequest(
    (r) => r.url().includes('/api/stats/series') && r.url().includes(`user=${topUser.user_id}`),
  );
  await page.goto(`${BASE}/?start=${past.start}&end=${past.end}&user=${topUser.user_id}`);
  const userSearch = new URL((await userReq).url()).search;
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="kpi-requests-value"]')?.getAttribute('data-value')) > 0,
  );
  const userRows = await api(`/api/stats/series${userSearch}`);
  const userReqs = userRows.reduce((s, r) => s + r.reqs, 0);
  const userShown = Number(await page.locator('[data-testid="kpi-requests-value"]').getAttribute('data-value'));
  check(
    userShown === userReqs && userReqs > 0 && userReqs < expected,
    `with the user filter the Requests KPI is user ${topUser.user_id}'s (${userShown} = API ${userReqs} of ${expected})`,
  );
  const userInput = page.locator('input[data-testid="filter-user"], [data-testid="filter-user"] input').first();
  check((await userInput.inputValue()) === String(topUser.user_id), 'the user filter shows its id');
  await shot(page, 'dashboard-user-filter');
  await page.goto(`${BASE}/?start=${past.start}&end=${past.end}`);
  await page.getByText('1 h', { exact: true }).click();
  await page.waitForURL(/range=1h/);
  ok('a quick range goes into the URL (range=1h)');
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="kpi-requests-value"]')?.getAttribute('data-value')) > 0,
  );
  await shot(page, 'dashboard');
});

await step('top', async () => {
  await page.goto(`${BASE}/top?start=${past.start}&end=${past.end}&by=user&metric=reqs`);
  await page.locator('[data-testid="top-table"] tbody tr').first().waitFor();
  const api_rows = await api(`/api/stats/top?start_ms=${past.start}&end_ms=${past.end}&by=user&metric=reqs&limit=50`);
  const shown = await rowCount(page, 'top-table');
  check(shown === api_rows.length && shown > 0, `the Top table has the API's ${api_rows.length} users`);
  const firstCells = await page.locator('[data-testid="top-table"] tbody tr').first().locator('td').allInnerTexts();
  check(
    firstCells[1] === String(api_rows[0].user_id) && firstCells[3] === api_rows[0].reqs.toLocaleString('en-US'),
    `the first row is the API's top user ${api_rows[0].user_id} with ${api_rows[0].reqs} requests (${firstCells.join(' | ')})`,
  );
  await page.locator('[data-testid="top-chart"] canvas').first().waitFor();
  // Sorting by a column header reorders the rows.
  await page.locator('[data-testid="top-table"] th', { hasText: 'Errors' }).click();
  await page.locator('[data-testid="top-table"] th', { hasText: 'Errors' }).click();
  const errs = (await page.locator('[data-testid="top-table"] tbody tr td:nth-child(7)').allInnerTexts()).map((s) =>
    Number(s.replace(/,/g, '')),
  );
  check(
    errs.every((v, i) => i === 0 || errs[i - 1] >= v),
    'sorting by Errors orders the rows',
  );
  const csv = await downloadCsv(page, 'top-table');
  check(csv.lines[0] === 'rank,user_id,username,reqs,tokens,quota_sum,errors', `Top CSV header: ${csv.lines[0]}`);
  check(csv.lines.length - 1 === api_rows.length, `Top CSV has ${csv.lines.length - 1} rows (table: ${shown})`);
  await page.locator('[data-testid="top-table"] tbody tr').first().click();
  await page.waitForURL(/sel=\d+/);
  await page.locator('[data-testid="top-logs-table"] tbody tr').first().waitFor();
  ok(`a row opens its recent requests (${await rowCount(page, 'top-logs-table')} rows) with the selection in the URL`);
  await shot(page, 'top-detail');
  await page.keyboard.press('Escape');
  await shot(page, 'top');
  // Channels by name, each linked to new-api's channel page when NEWAPI_URL is set.
  await page.goto(`${BASE}/top?start=${past.start}&end=${past.end}&by=channel&metric=reqs`);
  await page.locator('[data-testid="top-table"] tbody tr').first().waitFor();
  const channels = await api(
    `/api/stats/top?start_ms=${past.start}&end_ms=${past.end}&by=channel&metric=reqs&limit=50`,
  );
  const cells = await page.locator('[data-testid="top-table"] tbody tr').first().locator('td').allInnerTexts();
  check(
    channels[0].channel_name !== '' &&
      cells[1] === String(channels[0].channel_id) &&
      cells[2].trim() === channels[0].channel_name,
    `the top channel shows its id and name (${cells.slice(1, 3).join(' | ')}; API ${channels[0].channel_id} ${channels[0].channel_name})`,
  );
  const href = await page
    .locator('[data-testid="top-table"] tbody tr')
    .first()
    .locator('[data-testid="newapi-link-channel"]')
    .getAttribute('href');
  check(href === `${NEWAPI}/console/channel`, `the channel links to new-api's channel page (${href})`);
  await shot(page, 'top-channels');
});

await step('heatmap', async () => {
  await page.goto(`${BASE}/heatmap?range=7d&metric=reqs`);
  await page.locator('[data-testid="heatmap-chart"] canvas').first().waitFor();
  await page.locator('[data-testid="heatmap-table"] tbody tr').first().waitFor();
  check((await rowCount(page, 'heatmap-table')) === 7, 'the heatmap table has 7 weekdays');
  const totals = (await page.locator('[data-testid="heatmap-table"] tbody tr td:last-child').allInnerTexts()).map((s) =>
    Number(s.replace(/,/g, '')),
  );
  check(totals.reduce((a, b) => a + b, 0) > 0, `the heatmap has requests (${totals.join(', ')})`);
  const csv = await downloadCsv(page, 'heatmap-table');
  check(
    csv.lines[0].startsWith('weekday,h00,h01,') && csv.lines[0].endsWith(',h23,total') && csv.lines.length === 8,
    `heatmap CSV: ${csv.lines.length - 1} rows, header ${csv.lines[0].slice(0, 30)}…`,
  );
  await shot(page, 'heatmap');
});

let detailUrl = '';
await step('anomalies', async () => {
  const found = async () => {
    await page.goto(`${BASE}/anomalies?rule=burst&range=1h`);
    await page
      .locator('[data-testid="anomaly-table"], [data-testid="empty-state"], [data-testid="error-state"]')
      .first()
      .waitFor();
    return (await page.locator(`[data-testid="anomaly-table"] tbody tr`, { hasText: `token ${BURST}` }).count()) > 0;
  };
  let seen = false;
  for (let i = 0; i < 12 && !(seen = await found()); i++) await page.waitForTimeout(5000);
  check(seen, `the burst tab lists the injected burst (token ${BURST})`);
  await page
    .waitForFunction(
      () => /%$/.test(document.querySelector('[data-testid="rule-coverage"]')?.textContent ?? ''),
      null,
      { timeout: 15_000 },
    )
    .catch(() => {});
  const cov = await page.locator('[data-testid="rule-coverage"]').innerText();
  check(/%$/.test(cov), `the rule's coverage is shown (${cov})`);
  const help = page.locator('[data-testid="rule-help"]');
  check(
    !(await help.innerText()).includes('`') && (await help.locator('code').count()) > 0,
    `the rule's help shows its parameters as code, not backticks ("${(await help.innerText()).slice(0, 60)}…")`,
  );
  const n = await rowCount(page, 'anomaly-table');
  const csv = await downloadCsv(page, 'anomaly-table');
  check(
    csv.lines[0] ===
      'subject_id,subject_type,subject_name,score,threshold,window_sec,windows,first_window_start_ms,last_window_end_ms',
    `anomalies CSV header: ${csv.lines[0]}`,
  );
  check(
    csv.lines.length - 1 === n && csv.lines.some((l) => l.startsWith(`${BURST},token,`)),
    `anomalies CSV has the table's ${n} rows, the burst among them`,
  );
  await shot(page, 'anomalies');
  await page
    .locator(`[data-testid="anomaly-table"] tbody tr`, { hasText: `token ${BURST}` })
    .first()
    .click();
  await page.waitForURL(/\/anomalies\/detail\?/);
  detailUrl = page.url();
  check(
    new URL(detailUrl).searchParams.get('subject_id') === BURST,
    `the hit opens its detail (${new URL(detailUrl).pathname}${new URL(detailUrl).search.slice(0, 60)}…)`,
  );
  await page.locator('[data-testid="detail-requests"] tbody tr').first().waitFor();
  const rows = await rowCount(page, 'detail-requests');
  const score = Number((await page.locator('[data-testid="detail-score"]').innerText()).replace(/,/g, ''));
  const threshold = Number((await page.locator('[data-testid="detail-threshold"]').innerText()).replace(/,/g, ''));
  check(
    rows > 0 && score >= threshold,
    `the detail shows ${rows} requests and why it fired (score ${score} >= threshold ${threshold})`,
  );
  // Channels as "id name", the names new-api's channels table has (the API's Top by channel over the last day).
  const names = new Map(
    (await api(`/api/stats/top?start_ms=${now - 86_400_000}&end_ms=${now}&by=channel&metric=reqs&limit=1000`)).map(
      (c) => [String(c.channel_id), c.channel_name],
    ),
  );
  const named = (text) => {
    const [id, ...rest] = text.trim().split(' ');
    return names.has(id) && names.get(id) !== '' && rest.join(' ') === names.get(id);
  };
  const channelCell = await page
    .locator('[data-testid="detail-channels"] tbody tr')
    .first()
    .locator('td')
    .first()
    .innerText();
  check(named(channelCell), `the detail's channels show id and name ("${channelCell.trim()}")`);
  const requestChannel = await page
    .locator('[data-testid="detail-requests"] tbody tr')
    .first()
    .locator('[data-testid="entity-channel"]')
    .innerText();
  check(named(requestChannel), `each request names its channel ("${requestChannel.trim()}")`);
  const userHref = await page
    .locator('[data-testid="detail-requests"] [data-testid="newapi-link-user"]')
    .first()
    .getAttribute('href');
  check(userHref === `${NEWAPI}/console/user`, `a user links to new-api's user page (${userHref})`);
  const blankIp = (await page.locator('[data-testid="detail-ips"] tbody tr td:first-child').allInnerTexts()).filter(
    (t) => t.trim() === '',
  ).length;
  check(
    blankIp === 0,
    `no blank IP row in the detail (${blankIp}); rows without an IP are said to come from users who do not log IPs (notice shown: ${await page.locator('[data-testid="detail-ipless"]').count()})`,
  );
  await page.locator('[data-testid="detail-timeline"] canvas').first().waitFor();
  ok('the detail draws the timeline');
  const csv2 = await downloadCsv(page, 'detail-requests');
  check(
    csv2.lines[0].startsWith('id,created_at,type,user_id,token_id,model_name,') && csv2.lines.length - 1 === rows,
    `detail requests CSV: ${csv2.lines.length - 1} rows`,
  );
  await shot(page, 'anomaly-detail');
});

await step('deep link', async () => {
  const link = `${BASE}/anomalies/detail?rule=burst&subject_type=token&subject_id=${encodeURIComponent(BURST)}`;
  const fresh = await context.newPage();
  await fresh.goto(link);
  await fresh.locator('[data-testid="detail-requests"] tbody tr').first().waitFor({ timeout: 30_000 });
  const subject = await fresh.locator('[data-testid="detail-subject"]').innerText();
  check(
    subject.includes(`token ${BURST}`),
    `the alert-message link opens token ${BURST}'s detail (${subject.replace(/\s+/g, ' ')})`,
  );
  const tokens = (await fresh.locator('[data-testid="detail-requests"] tbody tr td:nth-child(5)').allInnerTexts()).map(
    (s) => s.split(' ')[0],
  );
  check(tokens.length > 0 && tokens.every((t) => t === BURST), `every request row is token ${BURST}'s`);
  await fresh.close();
});

await step('language switch', async () => {
  await page.goto(`${BASE}/?range=24h`);
  await page.locator('[data-testid="lang-switch"]').getByText('中文').click();
  await page.getByText('总览', { exact: true }).first().waitFor();
  check(
    (await page.locator('[data-testid="kpi-requests"]').innerText()).includes('请求数'),
    'the switch turns the UI text Chinese',
  );
  // Without a CJK font every Chinese character is the same "missing glyph" box: draw two different characters in the
  // page's own font and compare the pixels (fonts-noto-cjk, installed by scripts/setup.sh, makes them differ).
  const tofu = await page.evaluate(() => {
    const font = getComputedStyle(document.querySelector('[data-testid="kpi-requests"]')).fontFamily;
    const draw = (text) => {
      const canvas = document.createElement('canvas');
      canvas.width = 48;
      canvas.height = 48;
      const g = canvas.getContext('2d');
      g.font = `40px ${font}`;
      g.fillText(text, 2, 40);
      return canvas.toDataURL();
    };
    return draw('请') === draw('数');
  });
  check(!tofu, 'Chinese text renders as real glyphs, not missing-glyph boxes (a CJK font is installed)');
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="kpi-requests-value"]')?.getAttribute('data-value')) > 0,
  );
  await shot(page, 'dashboard-zh');
  await page.locator('[data-testid="lang-switch"]').getByText('EN').click();
});

await step('phone', async () => {
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
  });
  await phone.addInitScript((t) => window.localStorage.setItem('newapi-observer.api-token', t), TOKEN);
  const p = await phone.newPage();
  for (const [name, path, ready] of [
    ['phone-dashboard', '/?range=24h', '[data-testid="traffic-chart"] canvas'],
    [
      'phone-anomaly-detail',
      new URL(detailUrl || `${BASE}/`).pathname + new URL(detailUrl || `${BASE}/`).search,
      '[data-testid="detail-requests"] tbody tr',
    ],
  ]) {
    await p.goto(BASE + path);
    await p.locator(ready).first().waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(
      overflow <= 1,
      `${name}: the page fits a 390 px wide phone (overflow ${overflow} px; wide tables scroll inside)`,
    );
    await shot(p, name);
  }
  check((await p.locator('body').innerText()).includes('总览'), 'a Chinese browser gets the Chinese UI by default');
  await phone.close();
});

await step('admin: actions page', async () => {
  await page.goto(`${BASE}/?range=24h`);
  await page.locator('[data-testid="identity"]').waitFor();
  check(
    (await page.locator('[data-testid="identity"]').getAttribute('data-role')) === 'admin',
    'API_TOKEN is shown as admin',
  );
  await page.locator('[data-testid="nav-actions"]').click();
  await page.locator('[data-testid="page-actions"]').waitFor();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="actions-table"], [data-testid="empty-state"]'),
  );
  const rows = await api('/api/actions');
  check(
    (await page.locator('[data-testid="page-actions"] [data-testid="error-state"]').count()) === 0,
    `an admin's Actions page lists the audit (${rows.length} rows in the API)`,
  );
  await shot(page, 'actions-admin');
});

await step('viewer', async () => {
  const viewer = await browser.newContext({ locale: 'en-US', viewport: { width: 1366, height: 900 } });
  await viewer.addInitScript((t) => window.localStorage.setItem('newapi-observer.api-token', t), VIEWER_TOKEN);
  const p = await viewer.newPage();
  p.setDefaultTimeout(30_000);
  const refused = [];
  const asked = [];
  p.on('response', (r) => {
    if (!r.url().includes('/api/')) return;
    asked.push(new URL(r.url()).pathname);
    if (r.status() === 401 || r.status() === 403)
      refused.push(`${r.status()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`);
  });
  await p.goto(`${BASE}/?range=24h`);
  await p.locator('[data-testid="identity"]').waitFor();
  check(
    (await p.locator('[data-testid="identity"]').innerText()).includes('(viewer)'),
    'the viewer sees their name and role',
  );
  await p.waitForFunction(
    () => Number(document.querySelector('[data-testid="kpi-requests-value"]')?.getAttribute('data-value')) > 0,
  );
  await p.waitForFunction(
    () => Number(document.querySelector('[data-testid="kpi-active-users-value"]')?.getAttribute('data-value')) > 0,
  );
  check(true, 'the active-users KPI (a count from /api/stats/active, no identities)');
  check((await p.locator('[data-testid="csv-button"]').count()) === 0, 'no CSV button');
  check((await p.locator('[data-testid="nav-actions"]').count()) === 0, 'no Actions in the menu');
  check(
    (await p.locator('[data-testid="filter-bar"]').innerText()).match(/User id|Token id/) === null,
    'no user or token filter',
  );
  await shot(p, 'viewer-dashboard');
  await p.goto(`${BASE}/top?range=24h`);
  await p.locator('[data-testid="top-chart"] canvas').first().waitFor();
  const bys = await p.locator('[data-testid="top-by"]').innerText();
  check(
    !/User|Token/.test(bys) && /Model/.test(bys),
    `Top ranks only models and channels ("${bys.replace(/\s+/g, ' ')}")`,
  );
  await p.goto(`${BASE}/anomalies?rule=burst&range=24h`);
  await p.locator('[data-testid="page-anomalies"]').waitFor();
  await p.waitForLoadState('networkidle').catch(() => {});
  const text = await p.locator('[data-testid="page-anomalies"]').innerText();
  check((await p.locator('a[href*="/anomalies/detail"]').count()) === 0, 'no finding opens its detail (request rows)');
  check(!/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/.test(text), 'no IP address on the anomalies page');
  await shot(p, 'viewer-anomalies');
  await p.goto(`${BASE}/actions`);
  await p.getByText('Only admins see the response actions.').waitFor();
  check((await p.locator('button[data-testid^="undo-"]').count()) === 0, 'no action button at /actions');
  check(
    !asked.some((a) => a.startsWith('/api/logs') || a.startsWith('/api/actions')),
    'no request for request rows or actions',
  );
  check(
    refused.length === 0,
    `the UI never asks for what the viewer may not see (refused: ${refused.slice(0, 3).join(', ') || 'none'})`,
  );
  await viewer.close();
});

check(
  consoleErrors.length === 0,
  `no uncaught page errors${consoleErrors.length ? `: ${consoleErrors.slice(0, 3).join('; ')}` : ''}`,
);
check(
  cspViolations.length === 0,
  `no Content-Security-Policy violations${cspViolations.length ? `: ${cspViolations.slice(0, 3).join('; ')}` : ''}`,
);
await browser.close();
console.log(failures === 0 ? 'PASS [frontend_e2e]' : `${failures} failure(s) in frontend_e2e`);
process.exit(failures === 0 ? 0 : 1);

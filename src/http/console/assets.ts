/**
 * The console's only asset: one stylesheet served by the Worker, so the Content-Security-Policy
 * can forbid inline styles and every script. There is no JavaScript.
 */
export const STYLESHEET_PATH = "/console/assets/console.css";

export const STYLESHEET = `
:root { --fg: #1d232b; --muted: #6a7480; --line: #dde2e8; --bg: #f6f7f9; --card: #fff; --accent: #2357c6;
  --ok: #1f7a45; --ok-bg: #e3f4ea; --warn: #8a5a00; --warn-bg: #fdf1d8; --bad: #a4262c; --bad-bg: #fbe4e5; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; justify-content: space-between; padding: 10px 24px; background: #17202b; color: #fff; }
header.top a { color: #e8edf3; }
header.top .brand { font-weight: 700; font-size: 16px; }
header.top .brand span { font-weight: 400; color: #9fb0c3; }
header.top nav { display: flex; gap: 18px; align-items: center; }
header.top button.link { color: #e8edf3; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 4px 0 14px; }
h1 small { font-size: 14px; font-weight: 400; color: var(--muted); }
h2 { font-size: 16px; margin: 14px 0 10px; }
section, .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 14px; margin-bottom: 18px; }
.card { padding: 12px 16px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 7px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: 0; }
code, .mono, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre.json, pre.excerpt { background: #f3f5f8; border: 1px solid var(--line); border-radius: 6px; padding: 10px; margin: 6px 0;
  max-height: 420px; overflow: auto; white-space: pre-wrap; word-break: break-word; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #edf0f3; color: #46505c; white-space: nowrap; }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.notice { background: var(--ok-bg); color: var(--ok); border: 1px solid #bfe3cd; padding: 10px 14px; border-radius: 6px; }
.error { background: var(--bad-bg); color: var(--bad); border: 1px solid #f1c3c5; padding: 10px 14px; border-radius: 6px; }
form.inline { display: inline-flex; gap: 6px; align-items: center; margin: 0; }
form.stack { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; }
form.stack label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted); }
input, select, button { font: inherit; }
input, select { padding: 6px 8px; border: 1px solid #c5ccd5; border-radius: 6px; background: #fff; min-width: 0; }
input.wide { width: 340px; max-width: 100%; }
button { padding: 6px 12px; border: 1px solid #1f4fb6; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--fg); border-color: #c5ccd5; }
button.link { background: none; border: 0; padding: 0; color: var(--accent); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.pager { display: flex; gap: 16px; margin-top: 10px; }
.spark { display: inline-flex; align-items: flex-end; gap: 2px; height: 26px; vertical-align: middle; margin-right: 8px; }
.spark .bar { display: inline-block; width: 8px; background: #7d9ad6; border-radius: 2px 2px 0 0; }
.spark .h0 { height: 1px; background: #c9d2de; } .spark .h1 { height: 3px; } .spark .h2 { height: 6px; } .spark .h3 { height: 9px; }
.spark .h4 { height: 12px; } .spark .h5 { height: 15px; } .spark .h6 { height: 18px; } .spark .h7 { height: 22px; } .spark .h8 { height: 26px; }
.event { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 10px 0; background: #fff; }
.event header { display: flex; flex-wrap: wrap; gap: 10px; align-items: baseline; justify-content: space-between; }
.event .seq { font-weight: 700; font-size: 15px; }
.event form.inline { margin: 8px 0 4px; }
label.since { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: var(--muted); }
.event:target { border-color: var(--accent); box-shadow: 0 0 0 2px #c9d7f5; }
details summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.login { max-width: 420px; margin: 60px auto; }
.login form.stack { flex-direction: column; align-items: stretch; }
.login input { width: 100%; }
ul.attempts { margin: 4px 0; padding-left: 18px; }
nav.tabs { display: flex; gap: 6px; margin: 0 0 12px; }
nav.tabs a { padding: 6px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--card); }
nav.tabs a.current { border-color: var(--accent); font-weight: 600; }
nav.tabs .count { display: inline-block; min-width: 18px; padding: 0 6px; border-radius: 9px; background: #edf0f3; font-size: 12px; text-align: center; }
.issue-count { font-size: 15px; }
tr:target td { background: #eef3fd; }
`;

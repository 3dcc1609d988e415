"""What the tests share, in one place (no tests here; pytest collects none of it):

- `ledger`: the test halls' data, the Monday the tests happen on, the kiosk and officers who act
  (`officer`, `open_counter`), snapshots of a ledger's state and events;
- `stubs`: the test doubles for what a test machine lacks: station links whose LAN can be slowed
  (`HeldRepliesLink`) or unplugged (`UnpluggableLink`), a voice that only records
  (`RecordingAnnouncer`);
- `printing`: the sample ticket and a real TCP "printer" on 127.0.0.1 (`FakeNetworkPrinter`);
- hall builders for the GUI tests: `kiosk_hall` (a kiosk and a visitor's taps and touches),
  `counter_hall` (counters behind an embedded ledger or a real hub), `display_hall` (a
  ledger that drives a board);
- `inproc_hub`: a real hub served from a thread of the test process;
- `hub_process`: a real hub process (`python -m antrean hub`) on 127.0.0.1, per test or shared
  by a module;
- `xserver`: a real X display (Xvfb and openbox) for the real-window tests;
- for the browser tests: `browser` (Debian's chromium via Playwright: the module marks, tabs
  that record script errors, screenshots; the `browser` and `page` fixtures are in
  tests/system/conftest.py), `console_hall` (a hub and its console, the accounts, signing in,
  a kiosk and counters acting on the hub), `web_hall` (a hub and its web station, likewise).
"""

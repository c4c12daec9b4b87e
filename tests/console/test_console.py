"""The operator console in a real browser: headless Chromium (Debian's chromium and
chromium-driver, installed by scripts/browser) driven through WebDriver against
`bridge run --demo` on free ports with a fresh state folder.

Run with the project venv's python: `.venv/bin/python -m unittest discover -s tests/console -v`.
BRIDGE_BIN names the binary (default: target/debug/bridge under CARGO_TARGET_DIR, built
with cargo first). A screenshot of each tab goes to CONSOLE_SCREENSHOTS (default
target/console-screenshots).
"""

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
LITWARE_TENANT = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e31"
FABRIKAM_TENANT = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e11"
# A partner under the MSP (mappable as a sub-partner), and an id no tenant has.
WINGTIP_RESELLER = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e30"
UNKNOWN_TENANT = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e99"
HTML_NAME = "<img src=x onerror=alert(1)>"
WAIT = 20


def bridge_binary():
    given = os.environ.get("BRIDGE_BIN")
    if given:
        return given
    subprocess.run(["cargo", "build", "-q", "-p", "bridge-cli"], cwd=ROOT, check=True)
    return os.path.join(TARGET, "debug", "bridge")


def http(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read() or b"null")


class Runner:
    """`bridge run --demo` on free ports; the URLs come from its start banner."""

    def __init__(self):
        self.state = tempfile.mkdtemp(prefix="bridge-console-")
        binary = bridge_binary()
        self.proc = subprocess.Popen(
            [binary, "run", "--demo", "--state", self.state,
             "--port", "0", "--autotask-port", "0", "--acronis-port", "0"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()
        try:
            self._read_banner()
        except BaseException:
            self.stop()
            raise

    def _read_banner(self):
        self.urls = {}
        deadline = time.time() + 60
        while "console" not in self.urls:
            line = self.lines.get(timeout=max(1, deadline - time.time()))
            if line is None:
                raise RuntimeError("the runner stopped before printing its console URL")
            words = line.split()
            urls = [w for w in words if w.startswith("http://")]
            for key, label in (("api", "config"), ("autotask", "Autotask"),
                               ("acronis", "Acronis"), ("console", "Console:")):
                if urls and words[0] == label and key not in self.urls:
                    self.urls[key] = urls[0]
        with open(os.path.join(self.state, "token")) as f:
            self.token = f.read().strip()

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def api(self, method, path, body=None):
        return http(method, self.urls["api"] + path, body, self.token)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.state, ignore_errors=True)


class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runner = Runner()
        try:
            cls.service_mappings = cls.runner.api("GET", "/settings")["service_mappings"]
            cls._open_browser()
        except BaseException:
            cls.runner.stop()
            raise

    @classmethod
    def _open_browser(cls):
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                    "--disable-gpu", "--window-size=1400,1000"):
            options.add_argument(arg)
        service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
        cls.driver = webdriver.Chrome(service=service, options=options)
        cls.shots = os.environ.get("CONSOLE_SCREENSHOTS") or os.path.join(TARGET, "console-screenshots")
        os.makedirs(cls.shots, exist_ok=True)
        # The token is entered once; the tab keeps it for every later page load.
        cls.driver.get(cls.runner.urls["console"])
        cls.driver.find_element(By.ID, "token").send_keys(cls.runner.token)
        cls.driver.find_element(By.CSS_SELECTOR, "#login button").click()
        WebDriverWait(cls.driver, WAIT).until(EC.visibility_of_element_located((By.ID, "tabs")))

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.runner.stop()

    # -- helpers -------------------------------------------------------------------------
    def wait(self, condition, timeout=WAIT):
        return WebDriverWait(self.driver, timeout,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)

    def tab(self, name):
        self.assert_no_dialog()
        self.driver.find_element(By.ID, "tab-" + name).click()
        self.wait(lambda d: d.find_element(By.ID, "view").get_attribute("data-tab") == name
                  and d.find_elements(By.CSS_SELECTOR, "#view table, #view form, #view .error"))
        self.driver.save_screenshot(os.path.join(self.shots, name + ".png"))

    def company_row(self, company_id):
        def find(d):
            for row in d.find_elements(By.CSS_SELECTOR, "#accounts tr"):
                cells = row.find_elements(By.TAG_NAME, "td")
                if cells and cells[0].text == str(company_id):
                    return row
            return False
        return self.wait(find)

    def assert_no_dialog(self):
        try:
            text = self.driver.switch_to.alert.text
        except NoAlertPresentException:
            return
        self.fail("unexpected dialog: " + text)

    # -- the tests -----------------------------------------------------------------------
    def test_every_tab_shows_without_errors(self):
        for name in ("credentials", "settings", "services", "customers", "alerts", "jobs",
                     "plan", "tickets", "audit", "forecast"):
            self.tab(name)
            errors = self.driver.find_elements(By.CSS_SELECTOR, "#view .error")
            self.assertEqual([e.text for e in errors], [], name)
            if name == "services":
                table = self.driver.find_element(By.CSS_SELECTOR, "#view table").text
                self.assertIn("Microsoft 365", table)
                self.assertRegex(table, r"service 5\d\d")
        creds = self.driver.find_element(By.ID, "tab-credentials")
        creds.click()
        self.wait(lambda d: "bridge-api@example.com" in d.find_element(By.ID, "view").text)

    def test_map_a_company_to_a_tenant_then_keep_it_when_unmapping_is_cancelled(self):
        self.tab("customers")
        Select(self.driver.find_element(By.ID, "filter")).select_by_value("unmapped")
        Select(self.driver.find_element(By.ID, "type")).select_by_value("3")
        self.wait(lambda d: [r.find_element(By.TAG_NAME, "td").text
                             for r in d.find_elements(By.CSS_SELECTOR, "#accounts tr")[1:]] == ["180"])
        row = self.company_row(180)
        self.assertIn("Litware Prospects", row.text)
        row.find_element(By.CSS_SELECTOR, "input.tenant-id").send_keys(LITWARE_TENANT)
        row.find_element(By.CSS_SELECTOR, "button.map").click()
        mapped = self.runner.api("GET", "/accounts?search=Litware")["items"]
        self.wait(lambda d: self.runner.api("GET", "/accounts?mapped=mapped&search=Litware%20Prospects")["items"])
        Select(self.driver.find_element(By.ID, "filter")).select_by_value("mapped")
        self.wait(lambda d: self.company_row(180).find_elements(By.CSS_SELECTOR, "button.unmap"))
        row = self.company_row(180)
        self.assertIn(LITWARE_TENANT, row.text)
        # Unmapping asks first, naming the company and the tenant; cancelled, nothing changes.
        row.find_element(By.CSS_SELECTOR, "button.unmap").click()
        dialog = self.wait(EC.alert_is_present())
        self.assertIn("180", dialog.text)
        self.assertIn(LITWARE_TENANT, dialog.text)
        dialog.dismiss()
        items = self.runner.api("GET", "/accounts?mapped=mapped&search=Litware%20Prospects")["items"]
        self.assertEqual(items[0]["mapping"]["tenant_id"], LITWARE_TENANT, mapped)

    def test_a_mapping_changed_elsewhere_is_not_overwritten_from_a_stale_page(self):
        self.tab("customers")
        Select(self.driver.find_element(By.ID, "filter")).select_by_value("mapped")
        self.wait(lambda d: FABRIKAM_TENANT in self.company_row(176).text)
        row = self.company_row(176)
        # Someone else remaps company 176 after this page showed it.
        self.runner.api("PUT", "/customer-mappings/176", {"tenant_id": WINGTIP_RESELLER})
        try:
            row.find_element(By.CSS_SELECTOR, "input.tenant-id").send_keys(UNKNOWN_TENANT)
            row.find_element(By.CSS_SELECTOR, "button.map").click()
            self.wait(EC.alert_is_present()).accept()
            error = self.wait(lambda d: row.find_element(By.CSS_SELECTOR, ".row-result .error"))
            self.assertEqual(error.get_attribute("data-status"), "412", error.text)
            self.assertIn(WINGTIP_RESELLER, error.text)
            items = self.runner.api("GET", "/accounts?mapped=mapped&limit=500")["items"]
            now = [c["mapping"]["tenant_id"] for c in items if c["company_id"] == 176]
            self.assertEqual(now, [WINGTIP_RESELLER], "the stale page changed nothing")
        finally:
            self.runner.api("PUT", "/customer-mappings/176", {"tenant_id": FABRIKAM_TENANT})

    def test_a_bad_setting_shows_the_field_error_and_saves_nothing(self):
        before = self.runner.api("GET", "/settings")
        self.tab("settings")
        area = self.driver.find_element(By.CSS_SELECTOR, "textarea[data-section='deprovisioning']")
        section = json.loads(area.get_attribute("value"))
        section["disable_after_days"] = 0
        self.driver.execute_script("arguments[0].value = arguments[1]", area, json.dumps(section))
        self.driver.find_element(By.CSS_SELECTOR, "#doc-form button[type='submit']").click()
        error = self.wait(lambda d: d.find_element(
            By.CSS_SELECTOR, "fieldset .field-error[data-field='deprovisioning.disable_after_days']"))
        self.assertIn("1..=3650", error.text)
        self.assertEqual(self.runner.api("GET", "/settings")["version"], before["version"])

    def test_the_plan_lists_the_mapped_customers(self):
        self.tab("plan")
        table = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#view table"))
        self.assertIn(FABRIKAM_TENANT, table.text)
        self.assertTrue(self.driver.find_elements(By.ID, "held"))

    def test_pause_asks_why_and_resume_lets_the_jobs_write_again(self):
        self.tab("jobs")
        self.wait(lambda d: d.find_element(By.ID, "pause-button")).click()
        prompt = self.wait(EC.alert_is_present())
        prompt.send_keys("browser test: checking the pause")
        prompt.accept()
        try:
            banner = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#pause .paused"))
            self.assertIn("checking the pause", banner.text)
            self.assertTrue(self.runner.api("GET", "/jobs")["pause"]["paused"])
            self.driver.find_element(By.ID, "resume").click()
            self.wait(lambda d: d.find_elements(By.ID, "pause-button"))
            self.assertFalse(self.runner.api("GET", "/jobs")["pause"]["paused"])
        finally:
            if self.runner.api("GET", "/jobs")["pause"]["paused"]:
                self.runner.api("POST", "/resume", {})

    def test_run_a_job_now(self):
        self.tab("jobs")
        self.driver.find_element(By.CSS_SELECTOR, "button.run-now[data-job='contract-poller']").click()
        result = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#run-result pre"), 60)
        self.assertIn("contract-poller", result.text)
        runs = self.runner.api("GET", "/jobs")["jobs"]
        poller = next(j for j in runs if j["name"] == "contract-poller")
        self.assertIn("run now", poller["last_run"]["trigger"])

    def test_a_fired_alert_becomes_a_ticket(self):
        fired = http("POST", self.runner.urls["acronis"] + "/_sim/acronis/alerts",
                     {"type": "BackupFailed", "severity": "error", "tenant_id": FABRIKAM_TENANT,
                      "details": {"planName": "Browser test", "resourceName": "FAB-SRV-01"}})
        self.tab("jobs")
        self.driver.find_element(By.CSS_SELECTOR, "button.run-now[data-job='alert-ingest']").click()
        self.wait(lambda d: "alert-ingest" in d.find_element(By.ID, "run-result").text, 60)
        self.tab("tickets")
        self.wait(lambda d: fired["id"] in d.find_element(By.CSS_SELECTOR, "#view table").text)

    def test_a_company_name_with_markup_is_shown_as_text(self):
        http("POST", self.runner.urls["autotask"] + "/_sim/autotask/records/Companies",
             {"id": 190, "companyName": HTML_NAME, "companyType": 1, "isActive": True})
        self.tab("customers")
        search = self.driver.find_element(By.ID, "search")
        search.send_keys("onerror")
        search.send_keys("\n")
        row = self.company_row(190)
        name = row.find_element(By.CSS_SELECTOR, ".company-name")
        self.assertEqual(name.text, HTML_NAME)
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#view img"), [])
        time.sleep(0.5)
        self.assert_no_dialog()

    def test_a_company_with_conflicting_contracts_shows_under_the_conflict_filter(self):
        # The same service on a PAYG and a prepaid contract, as the MSP's staff would
        # enter it in Autotask: the poller keeps it out of both, and the page says so.
        records = self.runner.urls["autotask"] + "/_sim/autotask/records/"
        http("POST", records + "Companies",
             {"id": 191, "companyName": "Conflicted Co", "companyType": 1, "isActive": True})
        year = time.gmtime().tm_year
        for contract, payg in ((9191, "Yes"), (9192, "No")):
            http("POST", records + "Contracts", {
                "id": contract, "companyID": 191, "contractName": "Acronis %d" % contract,
                "contractType": 7, "contractPeriodType": 1, "status": 1,
                "startDate": "%d-01-01T00:00:00Z" % year, "endDate": "%d-12-31T00:00:00Z" % (year + 2),
                "timeReportingRequiresStartAndStopTimes": 0,
                "userDefinedFields": [{"name": "Acronis PAYG", "value": payg}]})
            http("POST", records + "ContractServices", {"contractID": contract, "serviceID": 501, "units": 3})
        self.runner.api("POST", "/jobs/contract-poller/run")
        self.tab("customers")
        search = self.driver.find_element(By.ID, "search")
        search.send_keys("Co")
        search.send_keys("\n")
        Select(self.driver.find_element(By.ID, "filter")).select_by_value("conflict")
        row = self.company_row(191)
        note = row.find_element(By.CSS_SELECTOR, ".conflict-note")
        self.assertIn("pw_base_workstations", note.text)
        self.assertIn("PAYG contracts [9191]", note.text)
        rows = [r for r in self.driver.find_elements(By.CSS_SELECTOR, "#accounts tr")
                if r.find_elements(By.TAG_NAME, "td")]
        self.assertEqual(len(rows), 1, "only the company in conflict is listed")

    def test_a_user_that_is_not_an_api_user_gets_the_guides_message(self):
        self.tab("credentials")
        form = self.driver.find_element(By.ID, "cred-autotask")
        for name, value in (("username", "office.manager@demo-msp.example"),
                            ("secret", "office-secret"), ("integration_code", "DEMOINTEGRATIONCODE")):
            form.find_element(By.NAME, name).send_keys(value)
        form.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
        error = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#cred-autotask .field-error[data-field='username']"))
        self.assertIn('"API User (system)" security level', error.text)
        self.assertEqual(self.runner.api("GET", "/credentials")["autotask"]["username"], "bridge-api@example.com")

    def test_a_stale_settings_version_is_shown_as_a_conflict_and_the_edit_kept(self):
        self.tab("settings")
        area = self.driver.find_element(By.CSS_SELECTOR, "textarea[data-section='schedules']")
        section = json.loads(area.get_attribute("value"))
        section["usage_reporting_minutes"] = 45
        edit = json.dumps(section)
        self.driver.execute_script("arguments[0].value = arguments[1]", area, edit)
        # Someone else saves a change meanwhile (a save that changes nothing keeps the
        # version, so it would be no conflict).
        current = self.runner.api("GET", "/settings")
        theirs = json.loads(json.dumps(current))
        theirs["schedules"]["alert_ingestion_minutes"] = 7
        self.runner.api("PUT", "/settings", theirs)
        self.driver.find_element(By.CSS_SELECTOR, "#doc-form button[type='submit']").click()
        conflict = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#save-result .conflict"))
        self.assertIn("version %d" % (current["version"] + 1), conflict.text)
        self.assertEqual(area.get_attribute("value"), edit)
        self.assertEqual(self.runner.api("GET", "/settings")["schedules"]["usage_reporting_minutes"],
                         current["schedules"]["usage_reporting_minutes"])

    def test_a_saved_setting_shows_in_the_forecast_with_its_dates_highlighted(self):
        # Deletion on, saved through the settings tab: the forecast gets its dates.
        self.tab("settings")
        area = self.driver.find_element(By.CSS_SELECTOR, "textarea[data-section='deprovisioning']")
        section = json.loads(area.get_attribute("value"))
        section["delete_customer"] = True
        self.driver.execute_script("arguments[0].value = arguments[1]", area, json.dumps(section))
        self.driver.find_element(By.CSS_SELECTOR, "#doc-form button[type='submit']").click()
        self.wait(lambda d: "Saved" in d.find_element(By.ID, "save-result").text)
        settings = self.runner.api("GET", "/settings")
        self.assertTrue(settings["deprovisioning"]["delete_customer"])
        self.assertEqual(settings["service_mappings"], self.service_mappings,
                         "saving one section keeps the others")
        self.tab("forecast")
        days = self.driver.find_element(By.ID, "days")
        days.clear()
        days.send_keys("60\n")
        marks = self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#view td mark.date"))
        expected = self.runner.api("GET", "/deprovisioning/forecast?days=60")["items"]
        self.assertTrue(expected)
        self.assertIn(expected[0]["delete_on"], [m.text for m in marks])
        self.driver.save_screenshot(os.path.join(self.shots, "forecast-dates.png"))

    def test_bridge_console_relays_the_page_with_the_token_from_its_url(self):
        relay = subprocess.Popen([bridge_binary(), "console", "--state", self.runner.state],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            url = next(w for line in relay.stdout for w in line.split() if "#token=" in w)
            self.assertTrue(url.startswith("http://127.0.0.1:"), url)
            self.driver.get(url)
            self.wait(lambda d: d.find_element(By.ID, "view").get_attribute("data-tab") == "customers")
            self.assertNotIn("token", self.driver.current_url)
            self.assertIn("Fabrikam Inc", self.driver.find_element(By.ID, "accounts").text)
        finally:
            relay.terminate()
            relay.wait(timeout=10)
            relay.stdout.close()
            self.driver.get(self.runner.urls["console"])
            self.wait(EC.visibility_of_element_located((By.ID, "tabs")))


if __name__ == "__main__":
    unittest.main()

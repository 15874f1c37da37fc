package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's chromium, headless, driven through chromedriver against
 * the packaged server. Both paths are given explicitly, so Selenium Manager never looks for (or
 * downloads) a browser or driver. A screenshot of each page is saved under target/screenshots/.
 */
class DashboardIT extends ServerPerClass {
  static final Duration WAIT = Duration.ofSeconds(10);

  ChromeDriver browser;
  String base;
  String bearer;
  Path config;
  Path screenshots;

  @Override
  TestLayout layout(Path dir) {
    // The traps arm a second after start (the demo waits 30 s, a real deployment a day).
    return new TestLayout(dir).extra("trap: { probe_interval: 1s, arm_after: 1s }");
  }

  @BeforeAll
  void startBrowser() throws Exception {
    Path chromium = Programs.require("chromium", "chromium");
    Path driver = Programs.require("chromedriver", "chromium-driver");
    base = "http://127.0.0.1:" + layout.admin;
    config = layout.dir.resolve("mxtrap.yml");
    screenshots =
        Files.createDirectories(
            Path.of(System.getProperty("mxtrap.jar")).getParent().resolve("screenshots"));
    // The API starts right after the SMTP listeners that MxtrapProcess waited for.
    SharedStateIT.await(WAIT, () -> status("/"), s -> s == 200);
    bearer = "Bearer " + Files.readString(layout.dataDir.resolve("admin.token")).strip();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800");
    browser =
        new ChromeDriver(
            new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).build(),
            options);
  }

  @AfterAll
  void stopBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @BeforeEach
  void signedOut() {
    browser.manage().window().setSize(new Dimension(1280, 800));
    browser.get(base + "/");
    browser.manage().deleteAllCookies();
    browser.get(base + "/");
  }

  void signIn() throws Exception {
    browser.get(base + "/");
    browser.findElement(By.id("token")).sendKeys(bearer.substring("Bearer ".length()));
    browser.findElement(By.cssSelector("#signin button")).click();
    new WebDriverWait(browser, WAIT)
        .until(ExpectedConditions.attributeToBe(By.tagName("body"), "data-ready", "true"));
  }

  void screenshot(String name) throws Exception {
    File shot = browser.getScreenshotAs(OutputType.FILE);
    Files.copy(
        shot.toPath(),
        screenshots.resolve(name + ".png"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** The status of a GET with no credentials, -1 while nothing listens. */
  int status(String path) {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
              HttpRequest.newBuilder(URI.create(base + path)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception notYet) {
      return -1;
    }
  }

  HttpResponse<String> request(HttpRequest.Builder r) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  JsonObject apiStatus() throws Exception {
    HttpResponse<String> r =
        request(
            HttpRequest.newBuilder(URI.create(base + "/status")).header("Authorization", bearer));
    return JsonParser.parseString(r.body()).getAsJsonObject();
  }

  @Test
  void signingInWithTheTokenShowsTheDashboard() throws Exception {
    screenshot("signin");
    signIn();
    assertThat(browser.findElement(By.id("hostname")).getText()).isEqualTo("mail.example.test");
    Cookie c = browser.manage().getCookieNamed("mxtrap_session");
    assertThat(c.isHttpOnly()).isTrue();
    assertThat(c.getSameSite()).isEqualTo("Strict");
  }

  @Test
  void aWrongTokenIsRefused() throws Exception {
    browser.findElement(By.id("token")).sendKeys("not-the-token");
    browser.findElement(By.cssSelector("#signin button")).click();
    assertThat(browser.findElement(By.cssSelector("p.error")).getText())
        .contains("not this server's admin token");
    assertThat(browser.manage().getCookieNamed("mxtrap_session")).isNull();
    assertThat(browser.findElements(By.id("layout"))).isEmpty();
    screenshot("signin-refused");
  }

  @Test
  void eachEntrysArmedStateIsShown() throws Exception {
    SharedStateIT.await(
        Duration.ofSeconds(30),
        this::apiStatus,
        s ->
            s.getAsJsonArray("traps").asList().stream()
                .allMatch(t -> t.getAsJsonObject().get("armed").getAsBoolean()));
    signIn();
    JsonObject status = apiStatus();
    List<WebElement> rows = browser.findElements(By.cssSelector("#layout tbody tr"));
    assertThat(rows).hasSize(3);
    for (JsonElement e : status.getAsJsonArray("layout")) {
      JsonObject entry = e.getAsJsonObject();
      WebElement badge =
          browser.findElement(
              By.cssSelector(
                  "#layout tr[data-preference='"
                      + entry.get("preference").getAsInt()
                      + "'] .badge"));
      String expected =
          entry.get("armed").isJsonNull()
              ? "serving"
              : entry.get("armed").getAsBoolean() ? "armed" : "disarmed";
      assertThat(badge.getText()).as(entry.toString()).isEqualTo(expected);
    }
    assertThat(
            browser
                .findElement(By.cssSelector("#layout tr[data-preference='30'] .badge"))
                .getText())
        .isEqualTo("armed");
    screenshot("dashboard-1280x800");
    browser.manage().window().setSize(new Dimension(390, 844));
    screenshot("dashboard-390x844");
  }

  @Test
  void aTrapHitAppearsInTheLiveListWithinTwoSeconds() throws Exception {
    SharedStateIT.await(
        Duration.ofSeconds(30),
        this::apiStatus,
        s -> s.getAsJsonArray("traps").get(0).getAsJsonObject().get("armed").getAsBoolean());
    signIn();
    new WebDriverWait(browser, WAIT)
        .until(ExpectedConditions.textToBe(By.id("live-state"), "connected"));
    // A client in a /24 of its own: no earlier contact excuses it.
    String greeting = SharedStateIT.greeting("127.0.0.1", layout.trap30, "127.0.7.66");
    long hit = System.nanoTime();
    assertThat(greeting).startsWith("421 ");
    WebElement item =
        new WebDriverWait(browser, Duration.ofSeconds(2))
            .until(
                ExpectedConditions.presenceOfElementLocated(
                    By.xpath("//ol[@id='live']/li[.//span[text()='127.0.7.66']]")));
    System.out.printf(
        "DashboardIT: the trap hit was in the live list %d ms after the greeting%n",
        (System.nanoTime() - hit) / 1_000_000);
    assertThat(item.getText()).contains("mx-skip").contains("MX 30 trap");
    screenshot("after-trap-hit");
  }

  @Test
  void aSuppressionAddedAndRemovedThroughThePageIsSoInTheCli() throws Exception {
    signIn();
    browser.findElement(By.id("add-address")).sendKeys("192.0.2.55");
    browser.findElement(By.id("add-for")).sendKeys("2h");
    browser.findElement(By.id("add-reason")).sendKeys("seen in the dashboard test");
    browser.findElement(By.cssSelector("#add button")).click();
    By row = By.cssSelector("#suppressions tr[data-address='192.0.2.55']");
    new WebDriverWait(browser, WAIT).until(ExpectedConditions.presenceOfElementLocated(row));
    assertThat(SharedStateIT.cli(config, "suppressions", "list").output()).contains("192.0.2.55");
    browser.findElement(By.id("match")).sendKeys("192.0.2.55");
    browser.findElement(By.cssSelector("#search button")).click();
    screenshot("suppression-added");

    browser.findElement(row).findElement(By.cssSelector("button.remove")).click();
    new WebDriverWait(browser, WAIT).until(ExpectedConditions.numberOfElementsToBe(row, 0));
    MxtrapProcess.Result list = SharedStateIT.cli(config, "suppressions", "list");
    assertThat(list.exitCode()).as(list.output()).isZero();
    assertThat(list.output()).doesNotContain("192.0.2.55");

    browser.findElement(By.id("explain-address")).sendKeys("192.0.2.55");
    browser.findElement(By.cssSelector("#explain button")).click();
    new WebDriverWait(browser, WAIT)
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("explanation"), "192.0.2.55 at"));
    screenshot("suppression-removed-and-explained");
  }

  @Test
  void aChangeWithoutTheCsrfTokenIsRefused() throws Exception {
    signIn();
    // From the page itself: the session cookie goes along, the header does not.
    Object fromPage =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                    + "fetch('/suppressions?address=192.0.2.66', {method: 'POST'})"
                    + ".then(r => done(r.status), e => done(String(e)));");
    assertThat(fromPage).isEqualTo(403L);
    // And by hand, with the cookie and no header, then with the wrong one.
    String cookie =
        "mxtrap_session=" + browser.manage().getCookieNamed("mxtrap_session").getValue();
    HttpResponse<String> bare =
        request(
            HttpRequest.newBuilder(URI.create(base + "/suppressions?address=192.0.2.66"))
                .header("Cookie", cookie)
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(bare.statusCode()).isEqualTo(403);
    assertThat(bare.body()).contains("X-CSRF-Token");
    HttpResponse<String> wrong =
        request(
            HttpRequest.newBuilder(URI.create(base + "/suppressions?address=192.0.2.66"))
                .header("Cookie", cookie)
                .header("X-CSRF-Token", "guessed")
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(SharedStateIT.cli(config, "suppressions", "list").output())
        .doesNotContain("192.0.2.66");
  }

  @Test
  void signingOutEndsTheSession() throws Exception {
    signIn();
    String cookie =
        "mxtrap_session=" + browser.manage().getCookieNamed("mxtrap_session").getValue();
    browser.findElement(By.id("signout")).click();
    new WebDriverWait(browser, WAIT)
        .until(ExpectedConditions.presenceOfElementLocated(By.id("token")));
    assertThat(browser.manage().getCookieNamed("mxtrap_session")).isNull();
    HttpResponse<String> after =
        request(HttpRequest.newBuilder(URI.create(base + "/status")).header("Cookie", cookie));
    assertThat(after.statusCode()).as("the old cookie is worth nothing").isEqualTo(401);
    screenshot("signed-out");
  }
}

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  getJson,
  send,
  sendJson,
  seg,
  type AppMetrics,
  type AppMetricsHistory,
  type AppStatus,
  type Item,
  type Operation,
} from "../api.js";
import { SecretEnv } from "../parts/secret-env.js";
import { Link, navigate } from "../router.js";
import { useData } from "../use-data.js";

const MAX_LOG_LINES = 1000;

/** The app's log, followed live while the page is open; lines are text, never markup. */
function Logs(props: { base: string }): JSX.Element {
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setError(undefined);
    void (async () => {
      try {
        const response = await send(
          "GET",
          `${props.base}/logs?tail=200&follow=${String(follow)}`,
          undefined,
          abort.signal,
        );
        const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
        let rest = "";
        while (reader) {
          const { value, done } = await reader.read();
          if (done) break;
          const parts = (rest + value).split("\n");
          rest = parts.pop() ?? "";
          setLines((old) => [...old, ...parts].slice(-MAX_LOG_LINES));
        }
        if (rest) setLines((old) => [...old, rest].slice(-MAX_LOG_LINES));
      } catch (caught) {
        if (!abort.signal.aborted) setError(caught instanceof Error ? caught.message : String(caught));
      }
    })();
    return () => abort.abort();
  }, [props.base, follow]);

  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);

  return (
    <section class="card" aria-labelledby="logs-title">
      <div class="row">
        <h2 id="logs-title">Logs</h2>
        <label class="check">
          <input type="checkbox" checked={follow} onChange={() => setFollow(!follow)} /> Follow
        </label>
      </div>
      {error && <p class="error">{error}</p>}
      <pre class="logs" ref={box} tabIndex={0} role="log" aria-label="Log lines" data-testid="logs">
        {lines.join("\n")}
      </pre>
    </section>
  );
}

interface Sample {
  readonly at: number;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

const HOUR_MS = 3_600_000;

/**
 * CPU and memory over the last hour: the service's samples when the page opens, then a live
 * sample every 15 s while it stays open.
 */
function Metrics(props: { base: string }): JSX.Element {
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let stopped = false;
    const add = (more: readonly Sample[]) => {
      const cutoff = Date.now() - HOUR_MS;
      setSamples((old) => [...old, ...more].filter((s) => s.at > cutoff).sort((a, b) => a.at - b.at));
    };
    const take = () =>
      getJson<AppMetrics>(`${props.base}/metrics`)
        .then((metrics) => {
          if (stopped) return;
          setError(undefined);
          add([{ at: Date.now(), ...metrics.total }]);
        })
        .catch(
          (caught: unknown) =>
            !stopped && setError(caught instanceof Error ? caught.message : String(caught)),
        );
    void getJson<AppMetricsHistory>(`${props.base}/metrics/history`)
      .then((history) => {
        if (!stopped) add(history.samples.map((s) => ({ ...s, at: Date.parse(s.at) })));
      })
      // The live samples still come; the chart then starts now.
      .catch(() => undefined);
    void take();
    const timer = setInterval(take, 15_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [props.base]);
  const last = samples.at(-1);
  const first = samples[0];
  const spanMs = first && last ? last.at - first.at : 0;
  const span =
    spanMs === 0
      ? "from now on"
      : spanMs < 60_000
        ? `over the last ${Math.round(spanMs / 1000)} s`
        : `over the last ${Math.round(spanMs / 60_000)} min`;
  return (
    <section class="card" aria-labelledby="metrics-title">
      <h2 id="metrics-title">CPU and memory</h2>
      {error && <p class="muted">Metrics are not available: {error}</p>}
      {last && (
        <div class="columns" data-testid="usage-chart">
          <Spark
            label={`CPU ${span}`}
            samples={samples}
            value={(s) => s.cpuMillis}
            text={`${last.cpuMillis}m CPU now`}
          />
          <Spark
            label={`Memory ${span}`}
            samples={samples}
            value={(s) => s.memoryBytes}
            text={`${Math.round(last.memoryBytes / 2 ** 20)} MiB memory now`}
          />
        </div>
      )}
    </section>
  );
}

/** One figure over the last hour, placed by time: the hour's samples and the live ones are spaced apart differently. */
function Spark(props: {
  label: string;
  samples: readonly Sample[];
  value: (sample: Sample) => number;
  text: string;
}): JSX.Element {
  const values = props.samples.map(props.value);
  const max = Math.max(1, ...values);
  const end = props.samples.at(-1)?.at ?? Date.now();
  const points = props.samples
    .map((sample, index) => {
      const x = 100 - ((end - sample.at) / HOUR_MS) * 100;
      return `${x.toFixed(2)},${(30 - ((values[index] ?? 0) / max) * 28).toFixed(1)}`;
    })
    .join(" ");
  return (
    <figure class="spark">
      <svg
        viewBox="0 0 100 30"
        preserveAspectRatio="none"
        role="img"
        aria-label={`${props.label}: ${props.text}`}
      >
        <polyline
          points={points}
          fill="none"
          stroke="currentColor"
          stroke-width="1.5"
          vector-effect="non-scaling-stroke"
        />
      </svg>
      <div class="axis muted" aria-hidden="true">
        <span>1 h ago</span>
        <span>now</span>
      </div>
      <figcaption>{props.text}</figcaption>
    </figure>
  );
}

/** An app: its URLs, status, replicas, restarts, recent events, live logs and use. */
export function AppPage(props: { project: string; app: string }): JSX.Element {
  const p = seg(props.project);
  const base = `/v1/projects/${p}/apps/${seg(props.app)}`;
  const app = useData(
    (signal) => getJson<Item<{ name: string; image: string; replicas: number }>>(base, signal),
    [base],
  );
  const status = useData((signal) => getJson<AppStatus>(`${base}/status`, signal), [base]);
  useEffect(() => {
    const timer = setInterval(status.reload, 10_000);
    return () => clearInterval(timer);
  }, [status.reload]);
  const [error, setError] = useState<string | undefined>();
  const remove = async () => {
    if (!window.confirm(`Delete app ${props.app}?`)) return;
    try {
      const operation = await sendJson<Operation>("DELETE", base);
      navigate(`/operations/${operation?.id ?? ""}`);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  const s = status.data;
  const urls = [app.data?.outputs?.url, ...(app.data?.outputs?.urls ?? [])].filter(
    (url, index, all): url is string => typeof url === "string" && all.indexOf(url) === index,
  );
  return (
    <main id="main">
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href="/">Projects</Link> / <Link href={`/projects/${p}`}>{props.project}</Link> /{" "}
        <span aria-current="page">{props.app}</span>
      </nav>
      <div class="row">
        <h1>{props.app}</h1>
        <Link class="button" href={`${`/projects/${p}/apps/${seg(props.app)}`}/edit`}>
          Edit
        </Link>
      </div>
      {app.error && <p class="error">{app.error}</p>}
      {app.data && (
        <p class="muted">
          {app.data.image} · {app.data.deployed ? "deployed" : "change in progress"}
        </p>
      )}
      {urls.map((url) => (
        <p key={url}>
          <a class="url" href={url} rel="noreferrer noopener" target="_blank">
            {url}
          </a>
        </p>
      ))}
      <section class="card" aria-labelledby="status-title">
        <h2 id="status-title">Status</h2>
        {status.error && <p class="error">{status.error}</p>}
        {s && (
          <>
            <p data-testid="replicas">
              {s.replicas.ready} of {s.replicas.desired} replicas ready
            </p>
            {s.problems.map((problem) => (
              <div class="alert" key={`${problem.object}-${problem.reason}`}>
                {problem.reason}: {problem.explanation ?? problem.message ?? ""}
              </div>
            ))}
            <table>
              <thead>
                <tr>
                  <th scope="col">Pod</th>
                  <th scope="col">Phase</th>
                  <th scope="col">Ready</th>
                  <th scope="col">Restarts</th>
                </tr>
              </thead>
              <tbody>
                {s.pods.map((pod) => (
                  <tr key={pod.name}>
                    <td>{pod.name}</td>
                    <td>{pod.waiting ? `${pod.phase} (${pod.waiting.reason})` : pod.phase}</td>
                    <td>{pod.ready ? "yes" : "no"}</td>
                    <td>{pod.restarts}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>Recent events</h3>
            <ul class="list events-list">
              {s.events.slice(0, 20).map((event, index) => (
                <li key={index} class={event.type === "Warning" ? "failed" : undefined}>
                  {event.object.kind}/{event.reason}: {event.message ?? ""}{" "}
                  {event.count > 1 ? `(×${event.count})` : ""}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <Metrics base={base} />
      <SecretEnv project={props.project} app={props.app} />
      <Logs base={base} />
      <section class="card danger-zone" aria-labelledby="delete-app-title">
        <h2 id="delete-app-title">Delete the app</h2>
        {error && <p class="error">{error}</p>}
        <button type="button" class="danger" onClick={() => void remove()}>
          Delete {props.app}
        </button>
      </section>
    </main>
  );
}

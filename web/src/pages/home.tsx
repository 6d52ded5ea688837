import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { dnsLabel } from "../../../spec/fields.js";
import {
  getJson,
  sendJson,
  seg,
  type Me,
  type Operation,
  type Page,
  type Project,
  type Quota,
  type Zone,
} from "../api.js";
import { ShareBar } from "../parts/bar.js";
import { apiIssues, FormError, TextField, type Issues } from "../parts/form.js";
import { Link, navigate } from "../router.js";
import { useData } from "../use-data.js";

/** A zone with the member's fair share, what they use and what is free, as bars. */
function ZoneCard(props: { zone: Zone }): JSX.Element {
  const quota = useData(
    (signal) => getJson<Quota>(`/v1/quota?zone=${seg(props.zone.name)}`, signal),
    [props.zone.name],
  );
  const q = quota.data;
  const chunk = props.zone.chunk;
  return (
    <section class="card" aria-labelledby={`zone-${props.zone.name}`}>
      <h3 id={`zone-${props.zone.name}`}>{props.zone.name}</h3>
      <p class="muted">
        Apps on *.{props.zone.baseDomain}; one chunk is {chunk.cpu} CPU, {chunk.memory} memory, {chunk.disk}{" "}
        disk.
        {q && ` Shared by ${q.activeUsers} member${q.activeUsers === 1 ? "" : "s"}; your weight ${q.weight}.`}
      </p>
      {quota.error && <p class="error">{quota.error}</p>}
      {q && (
        <>
          <ShareBar label="Compute" used={q.used.chunks} share={q.share.chunks} unit="chunks" />
          <ShareBar label="Volumes" used={q.used.volumeGB} share={q.share.volumeGB} unit="GB" />
          <ShareBar label="Databases" used={q.used.databaseGB} share={q.share.databaseGB} unit="GB" />
          <ShareBar label="Buckets" used={q.used.objectGB} share={q.share.objectGB} unit="GB" />
        </>
      )}
    </section>
  );
}

function NewProject(props: { zones: readonly Zone[] }): JSX.Element {
  const [name, setName] = useState("");
  const [zone, setZone] = useState(props.zones[0]?.name ?? "");
  const [issues, setIssues] = useState<Issues>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = dnsLabel(40).safeParse(name);
    if (!checked.success) {
      setIssues({ name: checked.error.issues[0]?.message ?? "not a valid name" });
      return;
    }
    setBusy(true);
    try {
      const operation = await sendJson<Operation>("PUT", `/v1/projects/${seg(name)}`, { zone });
      navigate(`/operations/${operation?.id ?? ""}?project=${encodeURIComponent(name)}`);
    } catch (error) {
      setIssues(apiIssues(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="new-project-title">
      <h3 id="new-project-title">New project</h3>
      <FormError issues={issues} />
      <TextField
        id="project-name"
        label="Name"
        hint="Lower-case letters, digits and dashes, like my-shop."
        value={name}
        onInput={setName}
        error={issues["name"]}
        required
      />
      <div class="field">
        <label for="project-zone">Zone</label>
        <select
          id="project-zone"
          value={zone}
          onChange={(e) => setZone((e.target as HTMLSelectElement).value)}
        >
          {props.zones.map((z) => (
            <option key={z.name} value={z.name}>
              {z.name}
            </option>
          ))}
        </select>
        {issues["zone"] && <p class="error">{issues["zone"]}</p>}
      </div>
      <button class="primary" type="submit" disabled={busy}>
        Create project
      </button>
    </form>
  );
}

/** The member's zones with their shares, their projects, and a form for a new project. */
export function Home(props: { me: Me }): JSX.Element {
  const zones = useData((signal) => getJson<Page<Zone>>("/v1/zones", signal), []);
  const projects = useData((signal) => getJson<Page<Project>>("/v1/projects", signal), []);
  const projectToken = props.me.token?.scope !== "user";
  return (
    <main id="main">
      <h1>Your zones and projects</h1>
      <h2>Projects</h2>
      {projects.error && <p class="error">{projects.error}</p>}
      {projects.data && projects.data.items.length === 0 && <p class="muted">No projects yet.</p>}
      <ul class="tiles">
        {projects.data?.items.map((project) => (
          <li key={project.name} class="card">
            <h3>
              <Link href={`/projects/${seg(project.name)}`}>{project.name}</Link>
            </h3>
            <p class="muted">
              zone {project.zone} · {project.counts.apps} apps · {project.counts.databases} databases ·{" "}
              {project.counts.buckets} buckets · {project.counts.volumes} volumes
            </p>
            <p>
              <span class={`badge ${project.appliedRevision >= project.revision ? "succeeded" : "running"}`}>
                {project.status === "deleting"
                  ? "deleting"
                  : project.appliedRevision >= project.revision
                    ? "up to date"
                    : "changing"}
              </span>
            </p>
          </li>
        ))}
      </ul>
      {!projectToken && zones.data && <NewProject zones={zones.data.items} />}
      {!projectToken && (
        <>
          <h2>Zones and your fair share</h2>
          {zones.error && <p class="error">{zones.error}</p>}
          <div class="tiles">
            {zones.data?.items.map((zone) => (
              <ZoneCard key={zone.name} zone={zone} />
            ))}
          </div>
        </>
      )}
    </main>
  );
}

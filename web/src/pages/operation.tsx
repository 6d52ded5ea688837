import type { JSX } from "preact";
import { OperationProgress } from "../parts/operation-progress.js";
import { Link } from "../router.js";

/** An operation's live progress; `?project=&app=` lead back to what it changed. */
export function OperationPage(props: { id: string }): JSX.Element {
  const query = new URLSearchParams(location.search);
  const project = query.get("project") ?? undefined;
  const app = query.get("app") ?? undefined;
  return (
    <main id="main" class="narrow">
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href="/">Projects</Link>
        {project && (
          <>
            {" / "}
            <Link href={`/projects/${encodeURIComponent(project)}`}>{project}</Link>
          </>
        )}
        {project && app && (
          <>
            {" / "}
            <Link href={`/projects/${encodeURIComponent(project)}/apps/${encodeURIComponent(app)}`}>
              {app}
            </Link>
          </>
        )}
      </nav>
      <h1>Applying the change</h1>
      <OperationProgress id={props.id} app={project && app ? { project, name: app } : undefined} />
    </main>
  );
}

import { render, type JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, getJson, send, setCsrfToken, whenSignedOut, type Me } from "./api.js";
import { AdminPage } from "./pages/admin.js";
import { AppFormPage } from "./pages/app-form.js";
import { AppPage } from "./pages/app.js";
import { ClaimPage, type ClaimKind } from "./pages/claim.js";
import { Home } from "./pages/home.js";
import { OperationPage } from "./pages/operation.js";
import { ProjectPage } from "./pages/project.js";
import { SignIn } from "./pages/sign-in.js";
import { Link, match, navigate, usePath } from "./router.js";
import "./style.css";
import "./widths.css";

type Session = { state: "loading" } | { state: "signed-out" } | { state: "signed-in"; me: Me };

/** The page of a path, or undefined when no page has it. */
function pageOf(path: string, me: Me): JSX.Element | undefined {
  let m: Record<string, string> | undefined;
  if (path === "/") return <Home me={me} />;
  if (path === "/admin" && me.user.admin) return <AdminPage />;
  if ((m = match("/operations/:id", path))) return <OperationPage id={m["id"] ?? ""} />;
  if ((m = match("/projects/:project", path))) return <ProjectPage project={m["project"] ?? ""} />;
  if ((m = match("/projects/:project/apps/new", path))) return <AppFormPage project={m["project"] ?? ""} />;
  if ((m = match("/projects/:project/apps/:app/edit", path)))
    return <AppFormPage project={m["project"] ?? ""} app={m["app"]} />;
  if ((m = match("/projects/:project/apps/:app", path)))
    return <AppPage project={m["project"] ?? ""} app={m["app"] ?? ""} />;
  for (const kind of ["databases", "buckets", "volumes"] as const satisfies readonly ClaimKind[]) {
    if ((m = match(`/projects/:project/${kind}/new`, path)))
      return <ClaimPage project={m["project"] ?? ""} kind={kind} />;
    if ((m = match(`/projects/:project/${kind}/:name`, path)))
      return <ClaimPage project={m["project"] ?? ""} kind={kind} name={m["name"]} />;
  }
  return undefined;
}

function App(): JSX.Element {
  const [session, setSession] = useState<Session>({ state: "loading" });
  const path = usePath();

  const load = async () => {
    try {
      const { csrfToken } = await getJson<{ csrfToken: string }>("/v1/session");
      setCsrfToken(csrfToken);
      setSession({ state: "signed-in", me: await getJson<Me>("/v1/me") });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 404))
        setSession({ state: "signed-out" });
      else setSession({ state: "signed-out" });
    }
  };
  useEffect(() => {
    whenSignedOut(() => setSession({ state: "signed-out" }));
    void load();
  }, []);

  const signOut = async () => {
    try {
      await send("DELETE", "/v1/session");
    } finally {
      setCsrfToken(undefined);
      setSession({ state: "signed-out" });
      navigate("/");
    }
  };

  if (session.state === "loading") return <p class="loading">Loading…</p>;
  if (session.state === "signed-out") {
    return (
      <SignIn
        onSignedIn={(csrf) => {
          setCsrfToken(csrf);
          void load();
        }}
      />
    );
  }
  const me = session.me;
  const page = pageOf(path, me);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          pluskube
        </Link>
        <nav aria-label="Main">
          <Link href="/">Projects</Link>
          {me.user.admin && <Link href="/admin">Members</Link>}
        </nav>
        <div class="who">
          <span class="muted">
            {me.user.name}
            {me.token?.project ? ` (project ${me.token.project})` : ""}
          </span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {page ?? (
        <main id="main">
          <h1>Not found</h1>
          <p>
            No page here. <Link href="/">Back to your projects</Link>
          </p>
        </main>
      )}
    </>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);

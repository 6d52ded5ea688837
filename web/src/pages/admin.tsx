import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { getJson, sendJson, seg, type Page } from "../api.js";
import { apiIssues, FormError, type Issues } from "../parts/form.js";
import { useData } from "../use-data.js";

interface User {
  readonly name: string;
  readonly admin: boolean;
  readonly weight: number;
  readonly disabled: boolean;
}

/** Members, their weights in the fair share, and disabling them (administrators only). */
export function AdminPage(): JSX.Element {
  const users = useData((signal) => getJson<Page<User>>("/v1/users", signal), []);
  const [issues, setIssues] = useState<Issues>({});
  const change = async (user: User, patch: Partial<Pick<User, "weight" | "disabled">>) => {
    try {
      await sendJson("PATCH", `/v1/users/${seg(user.name)}`, patch);
      setIssues({});
      users.reload();
    } catch (error) {
      setIssues(apiIssues(error));
    }
  };
  return (
    <main id="main">
      <h1>Members</h1>
      <FormError issues={issues} />
      {users.error && <p class="error">{users.error}</p>}
      <section class="card">
        <table>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Weight</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.data?.items.map((user) => (
              <tr key={user.name}>
                <td>
                  {user.name} {user.admin && <span class="badge">admin</span>}
                </td>
                <td>
                  <label class="sr-only" for={`weight-${user.name}`}>
                    Weight of {user.name}
                  </label>
                  <input
                    id={`weight-${user.name}`}
                    class="small"
                    type="number"
                    min="0.1"
                    step="0.1"
                    value={user.weight}
                    onChange={(e) =>
                      void change(user, { weight: Number((e.target as HTMLInputElement).value) })
                    }
                  />
                </td>
                <td>{user.disabled ? "disabled" : "active"}</td>
                <td>
                  {!user.admin && (
                    <button
                      type="button"
                      class={user.disabled ? undefined : "danger"}
                      onClick={() => void change(user, { disabled: !user.disabled })}
                    >
                      {user.disabled ? "Enable" : "Disable"}
                      <span class="sr-only"> {user.name}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}

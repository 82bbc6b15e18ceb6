import { lazy, Suspense, useEffect, useMemo, useState, type ComponentType, type LazyExoticComponent } from "react"
import { loadMe, signOut } from "./auth"
import { ErrorMessage, Loading, NoPermission } from "./components"
import { DomainSwitcher } from "./DomainSwitcher"
import { pages, type PageEntry } from "./pages/registry"
import SignIn from "./pages/SignIn"
import { useRoute } from "./router"
import { can, useSession } from "./session"

const lazyPages = new Map<PageEntry, LazyExoticComponent<ComponentType>>()
const pageComponent = (entry: PageEntry) => {
  let component = lazyPages.get(entry)
  if (component === undefined) lazyPages.set(entry, (component = lazy(entry.load)))
  return component
}

const Home = ({ visible }: { visible: ReadonlyArray<PageEntry> }) => (
  <section>
    <h1>Console</h1>
    {visible.length === 0
      ? <p>Your groups give you no pages in this domain. Ask an administrator for permissions, or pick another domain.</p>
      : <ul className="home-links">{visible.map((page) => <li key={page.path}><a href={`#${page.path}`}>{page.title}</a></li>)}</ul>}
  </section>
)

/** The shell: the sign-in gate, the navigation bar from the page registry, and the page of the current hash route. */
export const App = () => {
  const session = useSession()
  const route = useRoute()
  const [meError, setMeError] = useState<unknown>()

  // After a reload the credential is kept but the caller is not: ask the server again.
  useEffect(() => {
    if (session.credential !== undefined && session.me === undefined) {
      setMeError(undefined)
      loadMe().catch(setMeError)
    }
  }, [session.credential, session.me, session.domain])

  const visible = useMemo(() => pages.filter((page) => page.feature === undefined || can(page.feature, "read", session.me)), [session.me])

  if (session.credential === undefined) return <SignIn />
  if (session.me === undefined) {
    return (
      <main className="centered">
        {meError === undefined ? <Loading what="Signing in" /> : (
          <>
            <ErrorMessage error={meError} />
            <button type="button" className="button button-plain" onClick={() => void signOut()}>Sign out</button>
          </>
        )}
      </main>
    )
  }

  const first = `/${route.segments[0] ?? ""}`
  const entry = pages.find((page) => page.path === first)
  const Page = entry === undefined ? undefined : pageComponent(entry)
  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <a className="brand" href="#/">machhub</a>
        <nav aria-label="Pages">
          <ul>
            {visible.map((page) => (
              <li key={page.path}>
                <a href={`#${page.path}`} aria-current={page.path === first ? "page" : undefined}>{page.title}</a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-end">
          <DomainSwitcher />
          <span className="whoami" title={session.me.groups.join(", ")}>{session.me.username}</span>
          <button type="button" className="button button-plain" onClick={() => void signOut()}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {entry === undefined || Page === undefined
          ? first === "/" ? <Home visible={visible} /> : <p role="alert">No page at {route.path}. <a href="#/">Back to the start</a></p>
          : entry.feature !== undefined && !can(entry.feature, "read", session.me)
            ? <NoPermission feature={entry.title.toLowerCase()} />
            : <Suspense fallback={<Loading />}><Page key={session.domain} /></Suspense>}
      </main>
    </div>
  )
}

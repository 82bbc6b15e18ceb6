import { PageHeader } from "../components"

export default function Users() {
  return <PageHeader title="Users" />
}

import { PageHeader } from "../components"

export default function Groups() {
  return <PageHeader title="Groups" />
}

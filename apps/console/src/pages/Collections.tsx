import { PageHeader } from "../components"

export default function Collections() {
  return <PageHeader title="Collections" />
}

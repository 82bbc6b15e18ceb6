import { PageHeader } from "../components"

export default function Keys() {
  return <PageHeader title="Keys" />
}

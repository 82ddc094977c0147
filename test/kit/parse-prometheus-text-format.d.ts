/** Types of parse-prometheus-text-format (Prometheus text format -> metric families), which ships none. */
declare module "parse-prometheus-text-format" {
  export default function parse(text: string): unknown[];
}

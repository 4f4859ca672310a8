import * as z from 'zod';

/**
 * The price table the cost meter applies (us-east-1 list prices, USD, as of 2026; docs/cost.md).
 * A stage can replace any entry with ECSBOX_PRICES (JSON); figures are stored in units, never in
 * dollars, so a new price table re-prices the past too.
 */
export interface PriceTable {
  /** DynamoDB on-demand, per million request units. */
  dynamoDbWriteRequestUnitsPerMillion: number;
  dynamoDbReadRequestUnitsPerMillion: number;
  /** Lambda, per GB-second of duration (arm64, the deployed architecture) and per million requests. */
  lambdaGbSecond: number;
  lambdaRequestsPerMillion: number;
  /** API Gateway HTTP API, per million requests (first 300 million a month). */
  httpApiRequestsPerMillion: number;
  /** Fargate (Linux), per vCPU-hour and per GB-hour, by CPU architecture. */
  fargate: Record<'X86_64' | 'ARM64', { vcpuHour: number; gbHour: number }>;
}

export const DEFAULT_PRICES: PriceTable = {
  dynamoDbWriteRequestUnitsPerMillion: 0.625,
  dynamoDbReadRequestUnitsPerMillion: 0.125,
  lambdaGbSecond: 0.0000133334,
  lambdaRequestsPerMillion: 0.2,
  httpApiRequestsPerMillion: 1.0,
  fargate: {
    X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 },
    ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 },
  },
};

const price = () => z.number().min(0).max(1_000);
const fargatePrice = () => z.object({ vcpuHour: price(), gbHour: price() }).strict();

/** ECSBOX_PRICES: any subset of the table. */
export const priceOverridesSchema = z
  .object({
    dynamoDbWriteRequestUnitsPerMillion: price(),
    dynamoDbReadRequestUnitsPerMillion: price(),
    lambdaGbSecond: price(),
    lambdaRequestsPerMillion: price(),
    httpApiRequestsPerMillion: price(),
    fargate: z.object({ X86_64: fargatePrice(), ARM64: fargatePrice() }).partial().strict(),
  })
  .partial()
  .strict();

export const withPriceOverrides = (overrides: z.infer<typeof priceOverridesSchema>): PriceTable => ({
  ...DEFAULT_PRICES,
  ...overrides,
  fargate: { ...DEFAULT_PRICES.fargate, ...overrides.fargate },
});

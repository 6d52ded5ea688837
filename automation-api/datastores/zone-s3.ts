import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { s3Client } from "../../components/object-bucket/seaweed.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { readZoneFile } from "../../stacks/providers.js";

/**
 * Objects a status read lists at most. SeaweedFS's S3 API keeps no per-bucket byte count, so the
 * size is summed from a listing; past this many objects the answer would cost the zone more than
 * a status read is worth, and the bucket's use is reported as unknown.
 */
export const MAX_LISTED_OBJECTS = 100_000;

/**
 * Bytes stored in `bucket`, summed from a listing with the zone's admin keys (the bucket's own
 * keys are the member's, never the service's). `undefined` when the bucket holds more than
 * `maxObjects` objects.
 */
export async function bucketBytes(
  zone: ZoneSpec,
  bucket: string,
  maxObjects = MAX_LISTED_OBJECTS,
): Promise<number | undefined> {
  const client = await s3Client({
    endpoint: zone.s3.endpoint,
    region: zone.s3.region,
    accessKeyId: readZoneFile(zone.s3.adminAccessKeyFile),
    secretAccessKey: readZoneFile(zone.s3.adminSecretKeyFile),
  });
  try {
    let bytes = 0;
    let listed = 0;
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, MaxKeys: 1000 }),
      );
      for (const object of page.Contents ?? []) bytes += object.Size ?? 0;
      listed += page.KeyCount ?? page.Contents?.length ?? 0;
      if (listed > maxObjects) return undefined;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return bytes;
  } finally {
    client.destroy();
  }
}

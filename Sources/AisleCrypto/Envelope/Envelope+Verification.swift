public import AisleCore

extension TrustStore {
    /// The one function every receiver uses: checks an envelope and returns its deltas, or says
    /// why it is refused. Duplicates, equivocation and clock drift are the store's to judge
    /// (it knows what it has applied), after this.
    ///
    /// Order: tenant, certificate (known, hence signed by the admin, for this origin, not expired, not
    /// revoked), the role and scopes allow writing the scope, the hybrid clock within `maxDrift` of
    /// `now`, signature, key epoch, decryption, every delta in the header's scope, every delta
    /// within what the role may do. `now` is this node's wall clock in milliseconds.
    public func open(_ envelope: Envelope, now: UInt64, maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift)
        throws(EnvelopeRefusal) -> [ObjectDelta]
    {
        try openDeltas(envelope, now: now, maxDrift: maxDrift).map(\.delta)
    }

    /// As ``open(_:now:maxDrift:)``, each delta with the bytes it was decoded from (so a receiver
    /// can log them without encoding the delta again).
    public func openDeltas(
        _ envelope: Envelope, now: UInt64, maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift
    ) throws(EnvelopeRefusal) -> [(delta: ObjectDelta, encoded: [UInt8])] {
        guard envelope.header.followers.isEmpty else {
            throw .malformed("a run of \(envelope.header.count) changes where one was expected")
        }
        return try openRun(envelope, now: now, maxDrift: maxDrift)[0]
    }

    /// As ``openDeltas(_:now:maxDrift:)`` for an envelope of one change or a run: the deltas of
    /// each change the header lists, in order.
    public func openRun(
        _ envelope: Envelope, now: UInt64, maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift
    ) throws(EnvelopeRefusal) -> [[(delta: ObjectDelta, encoded: [UInt8])]] {
        let header = envelope.header
        let (role, payload) = try openPayload(envelope, now: now, maxDrift: maxDrift)
        var changes: [[(delta: ObjectDelta, encoded: [UInt8])]] = []
        var decoder = CanonicalDecoder(payload)
        do {
            let count = header.followers.isEmpty ? 1 : try decoder.readCount()
            guard count == header.count else {
                throw EnvelopeRefusal.malformed("\(count) changes sealed under a header of \(header.count)")
            }
            changes.reserveCapacity(count)
            for _ in 0..<count {
                var deltas: [(delta: ObjectDelta, encoded: [UInt8])] = []
                for _ in 0..<(try decoder.readCount()) {
                    let bytes = try decoder.readBytes()
                    if count == 1 {
                        deltas.append((try ObjectDelta(encoded: bytes), bytes))
                    } else {
                        // A run's deltas travel without their scope (the header's) and name the
                        // origin in one byte: encoded in full again for the log.
                        let delta = try ObjectDelta(inRun: bytes, scope: header.scope, origin: header.origin)
                        deltas.append((delta, delta.encoded))
                    }
                }
                changes.append(deltas)
            }
            try decoder.finish()
        } catch let error as EnvelopeRefusal {
            throw error
        } catch let error as DeltaDecodingError {
            throw .corruptDelta(error)
        } catch let error as CanonicalDecodingError {
            throw .corruptDelta(.malformed(error))
        } catch {
            throw .malformed("\(error)")
        }
        for deltas in changes {
            for (delta, _) in deltas {
                guard delta.scope == header.scope else { throw .deltaOutsideScope(delta.scope) }
                try Authorization.check(delta, by: role, origin: header.origin)
                if delta.scope == .catalog {
                    try checkRevocations(in: delta)
                    try checkRenewals(in: delta)
                }
            }
        }
        return changes
    }

    /// The checks that need no scope key: tenant, certificate (known, not expired, not revoked,
    /// naming the origin), the author's right to write the scope, clock drift and signature.
    /// A relay that holds no key for a scope (the hub for customer scopes) stops here.
    /// Returns the author's certificate.
    public func verify(
        _ envelope: Envelope, now: UInt64, maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift
    ) throws(EnvelopeRefusal) -> Certificate {
        try checked(envelope, now: now, maxDrift: maxDrift).certificate
    }

    private func checked(_ envelope: Envelope, now: UInt64, maxDrift: UInt64) throws(EnvelopeRefusal) -> (
        certificate: Certificate, headerBytes: [UInt8]
    ) {
        let header = envelope.header
        guard header.tenant == tenant else { throw .wrongTenant(header.tenant) }
        // Certificates are checked against the admin key when added, so a known one is genuine.
        guard let certificate = certificates[header.certificate] else { throw .unknownCertificate }
        let body = certificate.body
        guard body.device == header.origin else { throw .originMismatch(certified: body.device, header: header.origin) }
        guard now <= body.notAfter else { throw .certificateExpired(notAfter: body.notAfter) }
        guard !revoked.contains(header.certificate) else { throw .certificateRevoked(body.device) }
        // A run's last change is its latest.
        let stamped = header.lastStampMillis
        // A till writes a customer's scope under the customer's handoff grant, judged at the
        // change's own time (so it still checks after the grant has expired); a grant holds until
        // its end, so one that covers a run's last change covers them all.
        guard mayWrite(header.scope, as: body, at: stamped) else { throw .scopeNotAllowed(body.role, header.scope) }
        guard stamped <= now || stamped - now <= maxDrift else {
            throw .clockAhead(by: stamped - now, maxDrift: maxDrift)
        }
        let headerBytes = header.canonicalBytes
        do {
            let signingKey = try certificate.signingKey
            try signingKey.verify(
                envelope.signature,
                for: Envelope.signedBytes(
                    headerBytes: headerBytes, nonce: envelope.nonce, ciphertext: envelope.ciphertext))
        } catch {
            throw .badSignature
        }
        return (certificate, headerBytes)
    }

    /// The cryptographic half of ``open(_:now:)``: ``verify(_:now:maxDrift:)``, then the key
    /// epoch and decryption. Returns the author's role and the decrypted payload, not yet decoded
    /// or authorized.
    public func openPayload(
        _ envelope: Envelope, now: UInt64, maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift
    ) throws(EnvelopeRefusal) -> (Role, [UInt8]) {
        let header = envelope.header
        let (certificate, headerBytes) = try checked(envelope, now: now, maxDrift: maxDrift)
        guard let key = key(for: header.scope, epoch: header.epoch) else {
            throw .unknownKeyEpoch(header.scope, header.epoch)
        }
        let payload: [UInt8]
        do {
            payload = try key.open(
                SealedMessage(nonce: envelope.nonce, ciphertext: envelope.ciphertext),
                associatedData: headerBytes)
        } catch {
            throw .decryptionFailed
        }
        return (certificate.body.role, payload)
    }
}
